#!/usr/bin/env python3
"""Writes the FHIR R4 examples from the ClinicalRisk sample's first test patient (standard library only).

    python3 samples/ClinicalRisk.Fhir/examples/make_examples.py

bundle.json: a Bundle (type collection) of 30 Observations as a records system exports them (status, category,
code with display, subject, effective time, valueQuantity in UCUM), coded as feature-map.json says.
parameters.json: the same Observations as the parameters of a Parameters resource.
"""
import json
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..", "..", "..")


def shortest(value):
    """The shortest decimal text that reads back as the same float32 (how the C# tests format it too)."""
    for digits in range(1, 10):
        text = "%.*g" % (digits, value)
        if struct.unpack("<f", struct.pack("<f", float(text)))[0] == value:
            return float(text) if "e" in text or "." in text else int(text)
    raise ValueError(value)


def main():
    with open(os.path.join(HERE, "..", "feature-map.json")) as f:
        mapping = json.load(f)
    with open(os.path.join(ROOT, "samples", "ClinicalRisk", "data", "test_x.f32"), "rb") as f:
        row = struct.unpack("<30f", f.read(30 * 4))
    observations = []
    for feature in mapping["features"]:
        value = shortest(row[feature["index"]])
        observations.append({
            "resourceType": "Observation",
            "id": "fna-%02d" % feature["index"],
            "status": "final",
            "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category", "code": "laboratory"}]}],
            "code": {"coding": [{"system": feature.get("system", mapping["system"]), "code": feature["code"], "display": feature["name"]}],
                     "text": feature["name"]},
            "subject": {"reference": "Patient/example"},
            "effectiveDateTime": "2026-11-20T09:30:00+01:00",
            "valueQuantity": {"value": value, "unit": feature["unit"], "system": "http://unitsofmeasure.org", "code": feature["unit"]},
        })
    bundle = {"resourceType": "Bundle", "type": "collection",
              "entry": [{"fullUrl": "urn:uuid:00000000-0000-4000-8000-%012d" % i, "resource": o} for i, o in enumerate(observations)]}
    parameters = {"resourceType": "Parameters", "parameter": [{"name": "observation", "resource": o} for o in observations]}
    for name, resource in (("bundle.json", bundle), ("parameters.json", parameters)):
        with open(os.path.join(HERE, name), "w") as f:
            json.dump(resource, f, indent=2)
            f.write("\n")


if __name__ == "__main__":
    main()
