// ClinicalRisk.Fhir: ClinicalRisk.Api plus a FHIR R4 door, under the JIT. See README.md.
using QuantGen.Samples.Fhir;

FhirService.Build(args).Run();
