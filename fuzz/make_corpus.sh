#!/usr/bin/env bash
# fuzz/make_corpus.sh BUILD_FUZZ_DIR — (re)generates the checked-in seed
# corpora under fuzz/corpus/<target>/: valid envelopes from fuzz_seedgen
# (wire_encode), sample Kubernetes objects, registry headers and references,
# configuration files and the simulator's scenarios.  Small files only;
# crash reproducers live in fuzz/corpus/<target>/crash-* and are kept.
set -euo pipefail
BUILD=$(cd "${1:-build-fuzz}" && pwd)
SRC=$(cd "$(dirname "$0")/.." && pwd)
C=$SRC/fuzz/corpus
mkdir -p "$C"/{wire,k8s_json,registry,clientconf,kubecfg,scenario}

"$BUILD/bin/fuzz_seedgen" "$C/wire"

# --- Kubernetes objects: a pod, a crashing pod, a deployment mid-rollout, a list, a watch event
POD='{"kind":"Pod","metadata":{"name":"mr-dj-frontend-5d9c7b-x2k4p","namespace":"default","labels":{"pod-template-hash":"5d9c7b"},"ownerReferences":[{"kind":"ReplicaSet","name":"mr-dj-frontend-5d9c7b","controller":true}]},"spec":{"nodeName":"k3s-agent-1","containers":[{"name":"web","image":"ghcr.io/crisisk/mr-dj-frontend:v1"}]},"status":{"phase":"Running","podIP":"10.42.0.5","conditions":[{"type":"Ready","status":"True"}],"containerStatuses":[{"name":"web","image":"ghcr.io/crisisk/mr-dj-frontend:v1","imageID":"ghcr.io/crisisk/mr-dj-frontend@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef","ready":true,"restartCount":0,"state":{"running":{}}}]}}'
CRASH='{"kind":"Pod","metadata":{"name":"api-7f-abcde","namespace":"misterdj","labels":{"pod-template-hash":"7f"},"ownerReferences":[{"kind":"ReplicaSet","name":"api-7f","controller":true}]},"spec":{"containers":[{"name":"api","image":"r/api:v3-crash"}]},"status":{"phase":"Running","containerStatuses":[{"name":"api","image":"r/api:v3-crash","imageID":"docker-pullable://r/api@sha256:00","ready":false,"restartCount":5,"state":{"waiting":{"reason":"CrashLoopBackOff"}}}]}}'
DEP='{"kind":"Deployment","metadata":{"name":"mr-dj-frontend","namespace":"default","generation":4},"spec":{"replicas":2,"template":{"spec":{"containers":[{"name":"web","image":"ghcr.io/crisisk/mr-dj-frontend:v2"}]}}},"status":{"observedGeneration":4,"replicas":3,"updatedReplicas":1,"readyReplicas":2,"availableReplicas":2,"conditions":[{"type":"Progressing","status":"True","reason":"ReplicaSetUpdated"}]}}'
FAILED='{"kind":"Deployment","metadata":{"name":"api","namespace":"misterdj","generation":2},"spec":{"replicas":1},"status":{"observedGeneration":2,"conditions":[{"type":"Progressing","status":"False","reason":"ProgressDeadlineExceeded"}]}}'
printf '%s' "$POD" >"$C/k8s_json/pod"
printf '%s' "$CRASH" >"$C/k8s_json/pod-crashloop"
printf '%s' "$DEP" >"$C/k8s_json/deployment-rolling"
printf '%s' "$FAILED" >"$C/k8s_json/deployment-failed"
printf '{"kind":"PodList","items":[%s,%s]}' "$POD" "$CRASH" >"$C/k8s_json/podlist"
printf '{"type":"MODIFIED","object":%s}' "$DEP" >"$C/k8s_json/watch-event"

# --- registry: first byte picks the parser (0 auth, 1 reference, 2 digest, 3 host)
printf '\x00Bearer realm="https://ghcr.io/token",service="ghcr.io",scope="repository:crisisk/app:pull"' >"$C/registry/auth-bearer"
printf '\x00Basic realm="Registry Realm"' >"$C/registry/auth-basic"
printf '\x01ghcr.io/crisisk/mr-dj-frontend:nextjs-standalone-202611260530' >"$C/registry/ref-ghcr"
printf '\x01nginx:1.27' >"$C/registry/ref-dockerhub"
printf '\x01localhost:5000/team/app:v1' >"$C/registry/ref-local"
printf '\x02sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a\n{"schemaVersion":2}' >"$C/registry/digest"
printf '\x03[::1]:5000' >"$C/registry/host-v6"

# --- configuration files
printf 'server = tls+tcp://127.0.0.1:7443\n# comment\nca = pki/ca.crt\ncert = pki/alice.crt\nkey = pki/alice.key\ntimeout = 30s\n' >"$C/clientconf/config"
cat >"$C/kubecfg/kubeconfig" <<'YAML'
apiVersion: v1
kind: Config
clusters:
- name: prod
  cluster:
    server: https://10.0.0.1:6443/
    certificate-authority-data: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSUJmYWtlCi0tLS0tRU5EIENFUlRJRklDQVRFLS0tLS0K
- name: fuzz
  cluster:
    server: https://lab:6443
    insecure-skip-tls-verify: true
users:
- name: agent
  user:
    token: "s3cret-token"
- name: execuser
  user:
    exec:
      command: aws
contexts:
- name: prod
  context:
    cluster: prod
    user: agent
    namespace: misterdj
- name: fuzz
  context:
    cluster: fuzz
    user: execuser
current-context: prod
YAML

# --- scenarios (the simulator's own and the tests')
cp "$SRC/kubesim/scenarios/test.json" "$C/scenario/test.json"
cp "$SRC/tests/agent/scenario-agent.json" "$C/scenario/agent.json"
echo "corpus: $(find "$C" -type f | wc -l) files, $(du -sh "$C" | cut -f1)"
