"""deploy/k8s/ checked offline: every manifest against the schema of a named Kubernetes version
(kubernetes-validate, strict: unknown fields fail), then what the manifests must say."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"
KUBERNETES_VERSION = "1.30.0"
MANIFESTS = sorted(p for p in K8S.glob("*.yaml") if p.name != "kustomization.yaml")


def documents() -> list[dict]:
    return [doc for path in MANIFESTS for doc in yaml.safe_load_all(path.read_text()) if doc]


def of_kind(kind: str) -> dict[str, dict]:
    return {doc["metadata"]["name"]: doc for doc in documents() if doc["kind"] == kind}


@pytest.mark.parametrize("manifest", MANIFESTS, ids=lambda p: p.name)
def test_manifest_is_valid_for_the_named_kubernetes_version(manifest: Path):
    tool = Path(sys.executable).with_name("kubernetes-validate")
    result = subprocess.run([str(tool), "--strict", "-k", KUBERNETES_VERSION, str(manifest)],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "passed" in result.stdout + result.stderr


def test_kustomization_lists_every_manifest_but_the_secret_example():
    listed = set(yaml.safe_load((K8S / "kustomization.yaml").read_text())["resources"])
    assert listed == {p.name for p in MANIFESTS} - {"secret.example.yaml"}


def test_every_deployment_has_probes_an_autoscaler_and_a_disruption_budget():
    deployments = of_kind("Deployment")
    assert {"shps-rasa", "shps-actions", "shps-dataservice"} <= set(deployments)
    hpas = {d["spec"]["scaleTargetRef"]["name"] for d in of_kind("HorizontalPodAutoscaler").values()}
    pdbs = of_kind("PodDisruptionBudget")
    for name, dep in deployments.items():
        pod = dep["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True, name
        for container in pod["containers"]:
            assert "readinessProbe" in container and "livenessProbe" in container, name
            assert container["securityContext"]["allowPrivilegeEscalation"] is False, name
        assert name in hpas, f"{name} has no HorizontalPodAutoscaler"
        labels = dep["spec"]["template"]["metadata"]["labels"]
        assert any(set(p["spec"]["selector"]["matchLabels"].items()) <= set(labels.items())
                   for p in pdbs.values()), f"{name} has no PodDisruptionBudget"
    rasa = deployments["shps-rasa"]
    assert pdbs["shps-rasa"]["spec"]["minAvailable"] < rasa["spec"]["replicas"]


def test_rasa_readiness_checks_its_stores():
    probe = of_kind("Deployment")["shps-rasa"]["spec"]["template"]["spec"]["containers"][0]["readinessProbe"]
    assert probe["exec"]["command"][-1] == "/app/probes/ready.py"
    assert (ROOT / "docker" / "probes" / "ready.py").exists()


def test_secrets_come_from_the_secret_and_settings_from_the_configmap():
    secret_keys = set(of_kind("Secret")["shps-secrets"]["stringData"])
    for name, dep in of_kind("Deployment").items():
        for container in dep["spec"]["template"]["spec"]["containers"]:
            for env in container.get("env", []):
                if any(word in env["name"] for word in ("TOKEN", "KEY", "PEPPER", "URL")) \
                        and env["name"] not in ("DATASERVICE_URL", "ACTION_ENDPOINT_URL"):
                    ref = env["valueFrom"]["secretKeyRef"]
                    assert ref["name"] == "shps-secrets" and ref["key"] in secret_keys, (name, env)
            for source in container.get("envFrom", []):
                assert source["configMapRef"]["name"] == "shps-config"
    shared = ("ACTION_SERVER_TOKEN",)
    for key in shared:  # the Rasa and action-server pods share one token
        users = [n for n, d in of_kind("Deployment").items()
                 if any(e["name"] == key for c in d["spec"]["template"]["spec"]["containers"]
                        for e in c.get("env", []))]
        assert set(users) == {"shps-rasa", "shps-actions"}


def test_only_the_channels_are_public_and_the_action_server_is_internal():
    paths = [p["path"] for ing in of_kind("Ingress").values() for rule in ing["spec"]["rules"]
             for p in rule["http"]["paths"]]
    assert sorted(paths) == ["/chat", "/socket.io/", "/webhooks/"]
    for svc in of_kind("Service").values():
        assert svc["spec"]["type"] == "ClusterIP"
    policy = of_kind("NetworkPolicy")["shps-actions-from-rasa-only"]["spec"]
    assert policy["ingress"][0]["from"][0]["podSelector"]["matchLabels"] == \
        {"app.kubernetes.io/component": "rasa-server"}
    assert of_kind("Service")["shps-rasa"]["spec"]["sessionAffinity"] == "None"
