

BlogitsJ(›nRÀV÷¿Ò°À¦ÛoÀªj•@†UuÀ…¿E/¿åfoÀÇ1+À