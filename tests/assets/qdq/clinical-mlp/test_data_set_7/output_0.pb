
BprobabilitiesJÈK5ôÿ?