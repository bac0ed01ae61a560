

BlogitsJ(m1tAVБ‘oг?`VPАъ%Бs	АМqЧ?ађGБЮ?ЭдА