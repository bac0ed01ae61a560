

BlogitsJ(φεA^dΧΐXΐ½®Τΐ‡›ªΐ(xZΐΦrΐrµ&ΐζ2ΐYW©Ώ