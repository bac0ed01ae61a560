
BprobabilitiesJÇ5øÿ?