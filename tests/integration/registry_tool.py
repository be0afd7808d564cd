#!/usr/bin/env python3
"""Test helper for Rewind's registry tests (loopback only).

  registry_tool.py push BASE REPO TAG SEED [USER PASS]
      Pushes an image to a real registry over the distribution API: a config
      blob and a layer blob (POST /v2/<repo>/blobs/uploads/ then PUT with
      ?digest=), then PUT /v2/<repo>/manifests/<tag>.  SEED makes the content
      (and so the manifest digest) differ.  Prints the manifest digest.

  registry_tool.py head BASE REPO TAG [USER PASS]
      Prints the Docker-Content-Digest the registry serves for the tag now.

  registry_tool.py serve PORT
      A fake registry for the HTTP failure cases, chosen by repository name:
        err500/*      500 Internal Server Error
        garbage/*     200 with a manifest media type and a body that is not JSON
        wrongdigest/* 200, a valid manifest, a Docker-Content-Digest of other bytes
        big/*         200 with a 5 MiB body
        private/*     bearer-token challenge; /token gives "goodtoken" for
                      basic auth tester:s3cret only (the GHCR flow)
"""
import base64
import hashlib
import http.server
import json
import sys
import urllib.error
import urllib.request

MT = "application/vnd.docker.distribution.manifest.v2+json"


def req(method, url, data=None, headers=None, auth=None):
    r = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    if auth:
        tok = base64.b64encode(("%s:%s" % auth).encode()).decode()
        r.add_header("Authorization", "Basic " + tok)
    return urllib.request.urlopen(r, timeout=10)


def push_blob(base, repo, data, auth):
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    with req("POST", "%s/v2/%s/blobs/uploads/" % (base, repo), b"", auth=auth) as r:
        loc = r.headers["Location"]
    if loc.startswith("/"):
        loc = base + loc
    sep = "&" if "?" in loc else "?"
    with req("PUT", "%s%sdigest=%s" % (loc, sep, digest), data,
             {"Content-Type": "application/octet-stream"}, auth):
        pass
    return digest, len(data)


def push(base, repo, tag, seed, auth):
    cfg = json.dumps({"architecture": "amd64", "os": "linux",
                      "rootfs": {"type": "layers", "diff_ids": []},
                      "config": {"Labels": {"seed": seed}}}).encode()
    layer = ("layer for %s\n" % seed).encode()
    cd, cl = push_blob(base, repo, cfg, auth)
    ld, ll = push_blob(base, repo, layer, auth)
    manifest = json.dumps({
        "schemaVersion": 2, "mediaType": MT,
        "config": {"mediaType": "application/vnd.docker.container.image.v1+json",
                   "size": cl, "digest": cd},
        "layers": [{"mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip",
                    "size": ll, "digest": ld}]}, indent=1).encode()
    with req("PUT", "%s/v2/%s/manifests/%s" % (base, repo, tag), manifest,
             {"Content-Type": MT}, auth):
        pass
    print("sha256:" + hashlib.sha256(manifest).hexdigest())


def head(base, repo, tag, auth):
    with req("HEAD", "%s/v2/%s/manifests/%s" % (base, repo, tag), None,
             {"Accept": MT}, auth) as r:
        print(r.headers["Docker-Content-Digest"])


GOOD = json.dumps({"schemaVersion": 2, "mediaType": MT,
                   "config": {"mediaType": "application/vnd.docker.container.image.v1+json",
                              "size": 2, "digest": "sha256:" + "1" * 64},
                   "layers": []}).encode()


class Fake(http.server.BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass

    def send(self, code, body=b"", ctype=MT, digest=None, extra=None):
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        if digest:
            self.send_header("Docker-Content-Digest", digest)
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def do_HEAD(self):
        self.do_GET()

    def do_GET(self):
        p = self.path
        if p.startswith("/token"):
            want = "Basic " + base64.b64encode(b"tester:s3cret").decode()
            if self.headers.get("Authorization") != want:
                return self.send(401, b'{"errors":[]}', "application/json")
            return self.send(200, b'{"token":"goodtoken"}', "application/json")
        sha = "sha256:" + hashlib.sha256(GOOD).hexdigest()
        if p.startswith("/v2/err500/"):
            return self.send(500, b"oops", "text/plain")
        if p.startswith("/v2/garbage/"):
            junk = b"<html>this is not a manifest {{{"
            return self.send(200, junk, MT, "sha256:" + hashlib.sha256(junk).hexdigest())
        if p.startswith("/v2/wrongdigest/"):
            return self.send(200, GOOD, MT, "sha256:" + "0" * 64)
        if p.startswith("/v2/big/"):
            return self.send(200, b" " * (5 * 1024 * 1024), MT)
        if p.startswith("/v2/private/"):
            if self.headers.get("Authorization") != "Bearer goodtoken":
                port = self.server.server_address[1]
                ch = ('Bearer realm="http://127.0.0.1:%d/token",service="fake",'
                      'scope="repository:private/app:pull"' % port)
                return self.send(401, b'{"errors":[]}', "application/json",
                                 extra={"WWW-Authenticate": ch})
            return self.send(200, GOOD, MT, sha)
        return self.send(404, b'{"errors":[{"code":"MANIFEST_UNKNOWN"}]}', "application/json")


def main():
    cmd = sys.argv[1]
    if cmd == "serve":
        srv = http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[2])), Fake)
        srv.serve_forever()
    nargs = {"push": 6, "head": 5}.get(cmd, 0)   # argv entries before USER PASS
    auth = tuple(sys.argv[nargs:nargs + 2]) if nargs and len(sys.argv) == nargs + 2 else None
    if cmd == "push":
        push(sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5], auth)
    elif cmd == "head":
        head(sys.argv[2], sys.argv[3], sys.argv[4], auth)


if __name__ == "__main__":
    main()
