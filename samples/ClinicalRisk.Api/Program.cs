// ClinicalRisk.Api: breast-cancer risk as an on-prem REST service. See README.md for the endpoints.
using QuantGen.Samples.Api;

ClinicalRiskService.Build(args).Run();
