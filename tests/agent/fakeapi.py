#!/usr/bin/env python3
"""A misbehaving Kubernetes API server for the agent's robustness tests.

Plain HTTP on 127.0.0.1 (port 0 = free port, written to --port-file).
  GET /api/v1/pods?...            (list)  1st: 500 Status, 2nd: garbage, then a valid list
  GET /api/v1/pods?...watch=true  (watch) 1st: one event then a truncated chunk,
                                          2nd: a garbage line, 3rd: ERROR 410 Gone,
                                          then: ADDED pod-b and an idle stream
  GET .../namespaces/fake/deployments/web            a deployment whose rollout is in progress
  GET .../namespaces/fake/deployments?fieldSelector  (list) the same, not done
  GET .../namespaces/fake/deployments?watch=true     1st: empty 200 closed at once, 2nd: garbage,
                                                     3rd: empty again, then: MODIFIED (done)
  GET /hang                       never answers (for probe timeouts)
  GET /stats                      {"lists": n, "watches": n, "auth": requests with Authorization}
  GET /status/CODE                a metav1.Status error with that code
  GET /garbage                    200 with a body that is not JSON
  GET /big                        200 with 17 MiB (over the client's 16 MiB bound)
  GET /longline                   a watch stream with one 5 MiB line (over the 4 MiB bound)
"""
import argparse, json, threading, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

NODE = "node-1"
lock = threading.Lock()
counts = {"lists": 0, "watches": 0, "auth": 0, "dlists": 0, "dwatches": 0}


def deployment(done, rv):
    d = {"kind": "Deployment", "apiVersion": "apps/v1",
         "metadata": {"name": "web", "namespace": "fake", "generation": 2, "resourceVersion": str(rv)},
         "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "web"}},
                  "template": {"spec": {"containers": [{"name": "web", "image": "web:1"}]}}},
         "status": {"observedGeneration": 2 if done else 1, "replicas": 1, "updatedReplicas": 1,
                    "availableReplicas": 1}}
    return d


def pod(name, rv):
    return {"kind": "Pod", "apiVersion": "v1",
            "metadata": {"name": name, "namespace": "default", "resourceVersion": str(rv),
                         "labels": {"app": "web", "pod-template-hash": "abc12"},
                         "ownerReferences": [{"kind": "ReplicaSet", "name": "web-abc12", "controller": True}]},
            "spec": {"nodeName": NODE, "containers": [{"name": "web", "image": "web:1"}]},
            "status": {"phase": "Running", "podIP": "10.42.0.9",
                       "conditions": [{"type": "Ready", "status": "True"}],
                       "containerStatuses": [{"name": "web", "image": "web:1", "ready": True,
                                              "restartCount": 0, "imageID": "web@sha256:" + "b" * 64}]}}


class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def send_json(self, code, obj, raw=None):
        body = raw if raw is not None else json.dumps(obj).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def chunk(self, data):
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()

    def start_stream(self):
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()

    def do_GET(self):
        if self.headers.get("Authorization"):
            with lock:
                counts["auth"] += 1
        if self.path.startswith("/status/"):
            code = int(self.path.split("/")[2])
            return self.send_json(code, {"kind": "Status", "apiVersion": "v1", "status": "Failure",
                                         "code": code, "message": "fake status %d" % code})
        if self.path == "/garbage":
            return self.send_json(200, None, raw=b"<html>proxy error</html>")
        if self.path == "/big":
            return self.send_json(200, None, raw=b'"' + b"x" * (17 * 1024 * 1024) + b'"')
        if self.path == "/longline":
            self.start_stream()
            try:
                for _ in range(5 * 16):
                    self.chunk(b"x" * 65536)
                self.chunk(b"\n")
                self.chunk(b"")
            except OSError:
                pass
            return
        if self.path.startswith("/apis/apps/v1/namespaces/fake/deployments"):
            return self.fake_deployments()
        if self.path == "/hang":
            time.sleep(30)
            return
        if self.path == "/stats":
            with lock:
                return self.send_json(200, dict(counts))
        if not self.path.startswith("/api/v1/pods"):
            return self.send_json(404, {"kind": "Status", "code": 404, "message": "not here"})
        if "watch=true" not in self.path:
            with lock:
                counts["lists"] += 1
                n = counts["lists"]
            if n == 1:
                return self.send_json(500, {"kind": "Status", "apiVersion": "v1", "status": "Failure",
                                            "code": 500, "message": "etcdserver: leader changed"})
            if n == 2:
                return self.send_json(200, None, raw=b"this is not json{")
            return self.send_json(200, {"kind": "PodList", "apiVersion": "v1",
                                        "metadata": {"resourceVersion": "10"}, "items": [pod("web-abc12-aaaaa", 10)]})
        with lock:
            counts["watches"] += 1
            n = counts["watches"]
        self.start_stream()
        if n == 1:
            self.chunk(json.dumps({"type": "MODIFIED", "object": pod("web-abc12-aaaaa", 11)}).encode() + b"\n")
            # a chunk that promises 100 bytes and delivers 10, then the connection dies
            self.wfile.write(b"64\r\n{\"type\":\"M")
            self.wfile.flush()
            self.close_connection = True
            return
        if n == 2:
            self.chunk(b"hello, I am not an event\n")
            self.chunk(b"")
            return
        if n == 3:
            st = {"kind": "Status", "apiVersion": "v1", "status": "Failure", "reason": "Expired",
                  "code": 410, "message": "too old resource version: 10 (20)"}
            self.chunk(json.dumps({"type": "ERROR", "object": st}).encode() + b"\n")
            self.chunk(b"")
            return
        self.chunk(json.dumps({"type": "ADDED", "object": pod("web-abc12-bbbbb", 21)}).encode() + b"\n")
        self.chunk(json.dumps({"type": "BOOKMARK", "object": {"kind": "Pod", "apiVersion": "v1",
                                                              "metadata": {"resourceVersion": "22"}}}).encode() + b"\n")
        try:
            for _ in range(300):
                time.sleep(0.1)
            self.chunk(b"")
        except OSError:
            pass

    def fake_deployments(self):
        if self.path.endswith("/deployments/web"):
            return self.send_json(200, deployment(False, 5))
        if "watch=true" not in self.path:
            with lock:
                counts["dlists"] += 1
            return self.send_json(200, {"kind": "DeploymentList", "apiVersion": "apps/v1",
                                        "metadata": {"resourceVersion": "5"}, "items": [deployment(False, 5)]})
        with lock:
            counts["dwatches"] += 1
            n = counts["dwatches"]
        self.start_stream()
        if n == 2:
            self.chunk(b"<html>502 Bad Gateway</html>\n")
        elif n >= 4:
            self.chunk(json.dumps({"type": "MODIFIED", "object": deployment(True, 6)}).encode() + b"\n")
        self.chunk(b"")


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        pass  # clients abort watches and probes on purpose: no tracebacks


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port-file", required=True)
    a = ap.parse_args()
    srv = Server(("127.0.0.1", 0), H)
    with open(a.port_file + ".tmp", "w") as f:
        f.write(str(srv.server_address[1]))
    import os
    os.rename(a.port_file + ".tmp", a.port_file)
    srv.serve_forever()


if __name__ == "__main__":
    main()
