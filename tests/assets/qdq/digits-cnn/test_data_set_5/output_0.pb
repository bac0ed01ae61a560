

BlogitsJ(LÁ—yYA´ÌÄÀÁGžÀ:ù‚?Á£3ÁÓc¢ÀÁKñ¿úM¿¥”•À