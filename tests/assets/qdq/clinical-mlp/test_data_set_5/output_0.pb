
BprobabilitiesJ'ñ8vø?