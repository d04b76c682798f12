#!/usr/bin/env python3
"""Drive partcopy-emulator with the vendors' official SDKs and check the results.

Usage: check.py ADMIN_URL      run every check against a running emulator
       check.py --buckets      print the buckets the emulator must be started with

The emulator must be running with the buckets listed in BUCKETS (``cargo xtask sdk-check`` starts it).
Every check talks to the emulator only through an SDK; results are verified through the emulator's JSON
admin API (object info, same-content, stats). Exits non-zero if any check fails.

SDKs: cos-python-sdk-v5 (COS, through the emulator as an HTTP proxy so the real host names are kept),
oss2 (OSS, V1 signatures, path-style on the IP endpoint) and alibabacloud-oss-v2 (OSS, V4 signatures).
"""

import hashlib
import json
import os
import sys
import time
import traceback
import urllib.error
import urllib.parse
import urllib.request

COS_SRC, COS_DST, COS_FAR = "src-1250000000", "dst-1250000000", "far-1250000000"
OSS_SRC, OSS_DST, OSS_FAR = "src", "dst", "far"
BUCKETS = [
    f"cos:{COS_SRC}:ap-guangzhou",
    f"cos:{COS_DST}:ap-guangzhou",
    f"cos:{COS_FAR}:ap-beijing",
    f"oss:{OSS_SRC}:cn-hangzhou",
    f"oss:{OSS_DST}:cn-hangzhou",
    f"oss:{OSS_FAR}:cn-beijing",
]
MIB = 1024 * 1024
GIB = 1024 * MIB
BIG = int(os.environ.get("SDK_CHECK_BIG_SIZE", str(50 * GIB)))

ADMIN = sys.argv[1].rstrip("/") if len(sys.argv) > 1 else "http://127.0.0.1:9001"
FAILURES = []


def admin(method, path, body=None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(ADMIN + path, data=data, method=method)
    req.add_header("content-type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=60) as resp:
            return json.loads(resp.read())
    except urllib.error.HTTPError as e:
        raise RuntimeError(f"admin {method} {path}: {e.code} {e.read()!r}") from e


def object_info(bucket, key):
    return admin("GET", "/object?" + urllib.parse.urlencode({"bucket": bucket, "key": key}, quote_via=urllib.parse.quote))


def same(a, b):
    return admin("POST", "/same-content", {"a": {"bucket": a[0], "key": a[1]}, "b": {"bucket": b[0], "key": b[1]}})["same"]


def create(bucket, key, size, seed, headers=None, tags=None):
    return admin("POST", "/objects", {"bucket": bucket, "key": key, "size": size, "seed": seed,
                                      "headers": headers or {}, "tags": tags or []})


def stats():
    return admin("GET", "/stats")


def fail_next(op, kind):
    """Makes the next request of operation `op` fail with fault `kind` (snake_case FaultKind)."""
    n = stats()["requests"].get(op, 0) + 1
    admin("PUT", "/faults", {"ops": {op: {"fail_nth": [{"n": n, "kind": kind}]}}})


def expect(cond, what):
    if not cond:
        raise AssertionError(what)


def check(name):
    def wrap(fn):
        start = time.time()
        try:
            fn()
            print(f"ok   {name} ({time.time() - start:.1f}s)", flush=True)
        except Exception:  # noqa: BLE001 - report every failure, keep going
            FAILURES.append(name)
            print(f"FAIL {name}", flush=True)
            traceback.print_exc()
        return fn
    return wrap


# Filled in by main() from the admin API's /info.
ENDPOINT = None
KEYS = {}


# ---------------------------------------------------------------- COS: cos-python-sdk-v5
def cos_suite():
    from qcloud_cos import CosConfig, CosS3Client
    from qcloud_cos.cos_exception import CosServiceError

    def client(region="ap-guangzhou", secret=None):
        sid, skey = KEYS["cos"]
        conf = CosConfig(Region=region, SecretId=sid, SecretKey=secret or skey, Scheme="http",
                         Proxies={"http": ENDPOINT}, Timeout=120)
        return CosS3Client(conf, retry=0)

    cos = client()
    body = b"hello from cos-python-sdk-v5"

    @check("cos put/head/get-range")
    def _():
        resp = cos.put_object(Bucket=COS_SRC, Key="sdk/hello world+.txt", Body=body,
                              ContentType="text/plain", Metadata={"x-cos-meta-color": "blue"})
        expect(resp["ETag"].strip('"') == hashlib.md5(body).hexdigest(), resp)
        head = cos.head_object(Bucket=COS_SRC, Key="sdk/hello world+.txt")
        expect(head["Content-Length"] == str(len(body)), head)
        expect(head["x-cos-meta-color"] == "blue", head)
        expect(head["Content-Type"] == "text/plain", head)
        info = object_info(COS_SRC, "sdk/hello world+.txt")
        expect(head["x-cos-hash-crc64ecma"] == info["crc64"], (head, info))
        got = cos.get_object(Bucket=COS_SRC, Key="sdk/hello world+.txt", Range="bytes=6-9")
        expect(got["Body"].get_raw_stream().read() == b"from", "range body")

    @check("cos copy_object (metadata Copy and Replaced)")
    def _():
        src = {"Bucket": COS_SRC, "Key": "sdk/hello world+.txt", "Region": "ap-guangzhou"}
        resp = cos.copy_object(Bucket=COS_DST, Key="sdk/copy.txt", CopySource=src)
        expect(resp["ETag"].strip('"') == hashlib.md5(body).hexdigest(), resp)
        expect(same((COS_SRC, "sdk/hello world+.txt"), (COS_DST, "sdk/copy.txt")), "content")
        expect(object_info(COS_DST, "sdk/copy.txt")["headers"].get("x-cos-meta-color") == "blue", "meta copied")
        cos.copy_object(Bucket=COS_DST, Key="sdk/replaced.txt", CopySource=src, CopyStatus="Replaced",
                        ContentType="text/csv")
        info = object_info(COS_DST, "sdk/replaced.txt")
        expect(info["headers"].get("content-type") == "text/csv" and "x-cos-meta-color" not in info["headers"], info)

    @check("cos multipart copy via low-level calls + list parts pagination")
    def _():
        size = 25 * MIB + 3
        create(COS_SRC, "sdk/mp-src", size, 11)
        init = cos.create_multipart_upload(Bucket=COS_DST, Key="sdk/mp", ContentType="video/mp4",
                                           Metadata={"x-cos-meta-origin": "sdk"})
        upload_id = init["UploadId"]
        src = {"Bucket": COS_SRC, "Key": "sdk/mp-src", "Region": "ap-guangzhou"}
        etag = object_info(COS_SRC, "sdk/mp-src")["etag"]
        parts = []
        for n, (a, b) in enumerate([(0, 10 * MIB - 1), (10 * MIB, 20 * MIB - 1), (20 * MIB, size - 1)], 1):
            r = cos.upload_part_copy(Bucket=COS_DST, Key="sdk/mp", PartNumber=n, UploadId=upload_id,
                                     CopySource=src, CopySourceRange=f"bytes={a}-{b}",
                                     CopySourceIfMatch=f'"{etag}"')
            parts.append({"PartNumber": n, "ETag": r["ETag"]})
        page = cos.list_parts(Bucket=COS_DST, Key="sdk/mp", UploadId=upload_id, MaxParts=2)
        expect(page["IsTruncated"] == "true" and len(page["Part"]) == 2, page)
        rest = cos.list_parts(Bucket=COS_DST, Key="sdk/mp", UploadId=upload_id, MaxParts=2,
                              PartNumberMarker=page["NextPartNumberMarker"])
        expect(rest["IsTruncated"] == "false" and [p["PartNumber"] for p in rest["Part"]] == ["3"], rest)
        done = cos.complete_multipart_upload(Bucket=COS_DST, Key="sdk/mp", UploadId=upload_id,
                                             MultipartUpload={"Part": parts})
        expect(done["ETag"].strip('"').endswith("-3"), done)
        expect(same((COS_SRC, "sdk/mp-src"), (COS_DST, "sdk/mp")), "content")
        info = object_info(COS_DST, "sdk/mp")
        expect(info["headers"].get("x-cos-meta-origin") == "sdk", info)
        head = cos.head_object(Bucket=COS_DST, Key="sdk/mp")
        expect(head["x-cos-hash-crc64ecma"] == object_info(COS_SRC, "sdk/mp-src")["crc64"], head)

    @check("cos abort then NoSuchUpload; errors parsed into codes")
    def _():
        upload_id = cos.create_multipart_upload(Bucket=COS_DST, Key="sdk/aborted")["UploadId"]
        cos.abort_multipart_upload(Bucket=COS_DST, Key="sdk/aborted", UploadId=upload_id)
        try:
            cos.list_parts(Bucket=COS_DST, Key="sdk/aborted", UploadId=upload_id)
            raise AssertionError("list_parts after abort succeeded")
        except CosServiceError as e:
            expect(e.get_error_code() == "NoSuchUpload", e.get_error_code())
        try:
            cos.get_object(Bucket=COS_SRC, Key="sdk/missing")
            raise AssertionError("missing key found")
        except CosServiceError as e:
            expect(e.get_error_code() == "NoSuchKey" and e.get_status_code() == 404, e.get_error_code())
        try:
            client(secret="not-the-secret").get_object(Bucket=COS_SRC, Key="sdk/hello world+.txt")
            raise AssertionError("wrong secret accepted")
        except CosServiceError as e:
            expect(e.get_error_code() == "SignatureDoesNotMatch", e.get_error_code())
        try:
            cos.upload_part_copy(Bucket=COS_DST, Key="sdk/x", PartNumber=1, UploadId="nope",
                                 CopySource={"Bucket": COS_SRC, "Key": "sdk/mp-src", "Region": "ap-guangzhou"})
            raise AssertionError("part copy to a missing upload succeeded")
        except CosServiceError as e:
            expect(e.get_error_code() == "NoSuchUpload", e.get_error_code())

    @check("cos list_multipart_uploads: a key with a space and a plus, over two pages")
    def _():
        key = "sdk/list me+1"
        ids = sorted(cos.create_multipart_upload(Bucket=COS_DST, Key=key)["UploadId"] for _ in range(3))
        page = cos.list_multipart_uploads(Bucket=COS_DST, Prefix=key, MaxUploads=2)
        expect(page["IsTruncated"] == "true" and [u["Key"] for u in page["Upload"]] == [key, key], page)
        rest = cos.list_multipart_uploads(Bucket=COS_DST, Prefix=key, MaxUploads=2,
                                          KeyMarker=page["NextKeyMarker"],
                                          UploadIdMarker=page["NextUploadIdMarker"])
        got = sorted(u["UploadId"] for u in page["Upload"] + rest["Upload"])
        expect(rest["IsTruncated"] == "false" and got == ids, (got, ids))
        for upload_id in ids:
            cos.abort_multipart_upload(Bucket=COS_DST, Key=key, UploadId=upload_id)
        expect(not cos.list_multipart_uploads(Bucket=COS_DST, Prefix=key).get("Upload"), "all aborted")

    @check("cos copy_object answered 200 with an <Error> body is an error to the SDK")
    def _():
        fail_next("CopyObject", "error200")
        try:
            cos.copy_object(Bucket=COS_DST, Key="sdk/hidden-error.txt",
                            CopySource={"Bucket": COS_SRC, "Key": "sdk/hello world+.txt", "Region": "ap-guangzhou"})
            raise AssertionError("a 200 with an <Error> body was taken for success")
        except CosServiceError as e:
            expect(e.get_error_code() == "InternalError", e.get_error_code())
        finally:
            admin("DELETE", "/faults")

    @check(f"cos CosS3Client.copy of a {BIG // GIB} GiB object across regions (multipart)")
    def _():
        create(COS_FAR, "big/object", BIG, 2024, headers={"content-type": "application/x-big"})
        before = stats()["requests"].get("UploadPartCopy", 0)
        cos.copy(Bucket=COS_DST, Key="big/copy",
                 CopySource={"Bucket": COS_FAR, "Key": "big/object", "Region": "ap-beijing"}, MAXThread=8)
        copies = stats()["requests"].get("UploadPartCopy", 0) - before
        expect(copies > 1, f"expected a multipart copy, saw {copies} part copies")
        expect(same((COS_FAR, "big/object"), (COS_DST, "big/copy")), "content")
        info = object_info(COS_DST, "big/copy")
        expect(info["size"] == BIG and info["etag"].endswith(f"-{copies}"), info)
        print(f"     {copies} UploadPartCopy requests", flush=True)

    @check("cos SSE-C: keyed put/head/get, unkeyed HEAD refused, CosS3Client.copy re-keys (multipart)")
    def _():
        import base64

        def b64(raw):
            return base64.b64encode(raw).decode()

        def sse_c(raw, prefix=""):
            return {prefix + "SSECustomerAlgorithm": "AES256", prefix + "SSECustomerKey": b64(raw),
                    prefix + "SSECustomerKeyMD5": b64(hashlib.md5(raw).digest())}

        def lower(headers):
            return {k.lower(): v for k, v in headers.items()}

        src_key, dst_key = bytes(range(32)), bytes(range(32, 64))
        cos.put_object(Bucket=COS_SRC, Key="sdk/ssec.txt", Body=body, **sse_c(src_key))
        head = lower(cos.head_object(Bucket=COS_SRC, Key="sdk/ssec.txt", **sse_c(src_key)))
        expect(head["x-cos-server-side-encryption-customer-key-md5"] == b64(hashlib.md5(src_key).digest()), head)
        got = cos.get_object(Bucket=COS_SRC, Key="sdk/ssec.txt", Range="bytes=6-9", **sse_c(src_key))
        expect(got["Body"].get_raw_stream().read() == b"from", "range body")
        for wrong in ({}, sse_c(dst_key)):
            try:
                cos.head_object(Bucket=COS_SRC, Key="sdk/ssec.txt", **wrong)
                raise AssertionError("HEAD of an SSE-C object without its key succeeded")
            except CosServiceError as e:
                expect(e.get_status_code() == 400, e.get_status_code())
        # Across regions and over 5 GB, the SDK's own copy goes multipart: HEAD with the source's key,
        # Initiate with the destination's, every part with both.
        size = 5 * GIB + 1
        stored = {"x-cos-server-side-encryption-customer-algorithm": "AES256",
                  "x-cos-server-side-encryption-customer-key-md5": b64(hashlib.md5(src_key).digest())}
        create(COS_FAR, "big/ssec", size, 77, headers=stored)
        before = stats()["requests"].get("UploadPartCopy", 0)
        cos.copy(Bucket=COS_DST, Key="big/ssec-copy",
                 CopySource={"Bucket": COS_FAR, "Key": "big/ssec", "Region": "ap-beijing"},
                 PartSize=1024, MAXThread=4, **sse_c(src_key, "CopySource"), **sse_c(dst_key))
        copies = stats()["requests"].get("UploadPartCopy", 0) - before
        expect(copies > 1, f"expected a multipart copy, saw {copies} part copies")
        expect(same((COS_FAR, "big/ssec"), (COS_DST, "big/ssec-copy")), "content")
        info = object_info(COS_DST, "big/ssec-copy")
        expect(info["headers"].get("x-cos-server-side-encryption-customer-key-md5")
               == b64(hashlib.md5(dst_key).digest()), info)
        expect(b64(dst_key) not in json.dumps(info), "the key itself is stored")


# ---------------------------------------------------------------- OSS: oss2 (V1 signatures)
def oss2_suite():
    import oss2
    from oss2.models import PartInfo

    ak, sk = KEYS["oss"]
    auth = oss2.Auth(ak, sk)
    src = oss2.Bucket(auth, ENDPOINT, OSS_SRC)
    dst = oss2.Bucket(auth, ENDPOINT, OSS_DST)
    body = b"hello from oss2"

    @check("oss2 put/head/get-range (CRC checked by the SDK)")
    def _():
        r = src.put_object("sdk/hello world+.txt", body,
                           headers={"Content-Type": "text/plain", "x-oss-meta-color": "blue"})
        expect(r.etag == hashlib.md5(body).hexdigest().upper(), r.etag)
        head = src.head_object("sdk/hello world+.txt")
        expect(head.content_length == len(body) and head.headers["x-oss-meta-color"] == "blue", head.headers)
        expect(str(head.server_crc) == object_info(OSS_SRC, "sdk/hello world+.txt")["crc64"], head.server_crc)
        expect(src.get_object("sdk/hello world+.txt", byte_range=(11, 14)).read() == b"oss2", "range")
        expect(src.get_object("sdk/hello world+.txt").read() == body, "whole body")

    @check("oss2 with V4 signatures: put/get")
    def _():
        v4 = oss2.Bucket(oss2.AuthV4(ak, sk), ENDPOINT, OSS_SRC, region="cn-hangzhou")
        v4.put_object("sdk/v4.txt", b"signed with V4")
        expect(v4.get_object("sdk/v4.txt").read() == b"signed with V4", "v4 body")
        try:
            oss2.Bucket(oss2.AuthV4(ak, "wrong"), ENDPOINT, OSS_SRC, region="cn-hangzhou").get_object("sdk/v4.txt")
            raise AssertionError("wrong V4 secret accepted")
        except oss2.exceptions.ServerError as e:
            expect(e.code == "SignatureDoesNotMatch", e.code)

    @check("oss2 copy_object")
    def _():
        r = dst.copy_object(OSS_SRC, "sdk/hello world+.txt", "sdk/copy.txt")
        expect(r.etag == hashlib.md5(body).hexdigest().upper(), r.etag)
        expect(same((OSS_SRC, "sdk/hello world+.txt"), (OSS_DST, "sdk/copy.txt")), "content")
        dst.copy_object(OSS_SRC, "sdk/hello world+.txt", "sdk/replaced.txt",
                        headers={"x-oss-metadata-directive": "REPLACE", "Content-Type": "text/csv"})
        info = object_info(OSS_DST, "sdk/replaced.txt")
        expect(info["headers"].get("content-type") == "text/csv" and "x-oss-meta-color" not in info["headers"], info)

    @check("oss2 multipart copy via low-level calls + list parts pagination")
    def _():
        size = 3 * MIB + 5
        create(OSS_SRC, "sdk/mp-src", size, 12)
        etag = object_info(OSS_SRC, "sdk/mp-src")["etag"]
        upload_id = dst.init_multipart_upload("sdk/mp", headers={"x-oss-meta-origin": "oss2"}).upload_id
        parts = []
        ranges = [(0, MIB - 1), (MIB, 2 * MIB - 1), (2 * MIB, size - 1)]
        for n, (a, b) in enumerate(ranges, 1):
            r = dst.upload_part_copy(OSS_SRC, "sdk/mp-src", (a, b), "sdk/mp", upload_id, n,
                                     headers={"x-oss-copy-source-if-match": etag})
            parts.append(PartInfo(n, r.etag))
        page = dst.list_parts("sdk/mp", upload_id, max_parts=2)
        expect(page.is_truncated and [p.part_number for p in page.parts] == [1, 2], vars(page))
        rest = dst.list_parts("sdk/mp", upload_id, marker=page.next_marker, max_parts=2)
        expect(not rest.is_truncated and [p.part_number for p in rest.parts] == [3], vars(rest))
        expect(rest.parts[0].size == size - 2 * MIB, rest.parts[0].size)
        done = dst.complete_multipart_upload("sdk/mp", upload_id, parts)
        expect(done.etag.endswith("-3"), done.etag)
        expect(same((OSS_SRC, "sdk/mp-src"), (OSS_DST, "sdk/mp")), "content")
        expect(object_info(OSS_DST, "sdk/mp")["headers"].get("x-oss-meta-origin") == "oss2", "meta")

    @check("oss2 list_multipart_uploads: a key with a space and a plus, over two pages")
    def _():
        key = "sdk/list me+1"
        ids = sorted(dst.init_multipart_upload(key).upload_id for _ in range(3))
        page = dst.list_multipart_uploads(prefix=key, max_uploads=2)
        expect(page.is_truncated and [u.key for u in page.upload_list] == [key, key], page.upload_list)
        rest = dst.list_multipart_uploads(prefix=key, max_uploads=2, key_marker=page.next_key_marker,
                                          upload_id_marker=page.next_upload_id_marker)
        got = sorted(u.upload_id for u in page.upload_list + rest.upload_list)
        expect(not rest.is_truncated and got == ids, (got, ids))
        for upload_id in ids:
            dst.abort_multipart_upload(key, upload_id)
        expect(not dst.list_multipart_uploads(prefix=key).upload_list, "all aborted")

    @check("oss2 abort then NoSuchUpload; errors parsed into codes")
    def _():
        upload_id = dst.init_multipart_upload("sdk/aborted").upload_id
        dst.abort_multipart_upload("sdk/aborted", upload_id)
        try:
            dst.list_parts("sdk/aborted", upload_id)
            raise AssertionError("list_parts after abort succeeded")
        except oss2.exceptions.NoSuchUpload as e:
            expect(e.code == "NoSuchUpload", e.code)
        try:
            src.get_object("sdk/missing")
            raise AssertionError("missing key found")
        except oss2.exceptions.NoSuchKey as e:
            expect(e.status == 404, e.status)
        try:
            src.head_object("sdk/missing")
            raise AssertionError("missing key found by HEAD")
        except oss2.exceptions.NotFound as e:
            expect(e.code == "NoSuchKey", e.code)  # decoded from x-oss-err
        try:
            oss2.Bucket(oss2.Auth(ak, "wrong"), ENDPOINT, OSS_SRC).get_object("sdk/hello world+.txt")
            raise AssertionError("wrong secret accepted")
        except oss2.exceptions.ServerError as e:
            expect(e.code == "SignatureDoesNotMatch", e.code)
        try:
            oss2.Bucket(auth, ENDPOINT, OSS_FAR).copy_object(OSS_SRC, "sdk/hello world+.txt", "x")
            raise AssertionError("cross-region copy accepted")
        except oss2.exceptions.ServerError as e:
            expect(e.status == 403 and e.code == "AccessDenied", (e.status, e.code))


# ---------------------------------------------------------------- OSS: alibabacloud-oss-v2 (V4)
def oss_v2_suite():
    import alibabacloud_oss_v2 as oss

    ak, sk = KEYS["oss"]

    def client(secret=None):
        cfg = oss.config.load_default()
        cfg.credentials_provider = oss.credentials.StaticCredentialsProvider(ak, secret or sk)
        cfg.region = "cn-hangzhou"
        cfg.endpoint = ENDPOINT
        cfg.use_path_style = True
        cfg.retry_max_attempts = 1
        return oss.Client(cfg)

    c = client()
    body = b"hello from alibabacloud-oss-v2"

    def code_of(err):
        inner = err.unwrap() if hasattr(err, "unwrap") else err
        return getattr(inner, "code", None)

    @check("oss-v2 put/head/get-range")
    def _():
        r = c.put_object(oss.PutObjectRequest(bucket=OSS_SRC, key="sdk/v2 hello.txt", body=body,
                                              content_type="text/plain", metadata={"color": "green"}))
        expect(r.etag.strip('"') == hashlib.md5(body).hexdigest().upper(), r.etag)
        head = c.head_object(oss.HeadObjectRequest(bucket=OSS_SRC, key="sdk/v2 hello.txt"))
        expect(head.content_length == len(body) and head.metadata.get("color") == "green", vars(head))
        expect(head.hash_crc64 == object_info(OSS_SRC, "sdk/v2 hello.txt")["crc64"], head.hash_crc64)
        got = c.get_object(oss.GetObjectRequest(bucket=OSS_SRC, key="sdk/v2 hello.txt", range_header="bytes=6-9"))
        expect(got.body.content == b"from", got.body.content)

    @check("oss-v2 copy_object")
    def _():
        c.copy_object(oss.CopyObjectRequest(bucket=OSS_DST, key="sdk/v2 copy.txt",
                                            source_bucket=OSS_SRC, source_key="sdk/v2 hello.txt"))
        expect(same((OSS_SRC, "sdk/v2 hello.txt"), (OSS_DST, "sdk/v2 copy.txt")), "content")
        expect(object_info(OSS_DST, "sdk/v2 copy.txt")["headers"].get("x-oss-meta-color") == "green", "meta")

    @check("oss-v2 multipart copy via low-level calls + list parts pagination")
    def _():
        size = 2 * MIB + 7
        create(OSS_SRC, "sdk/v2-mp-src", size, 13)
        init = c.initiate_multipart_upload(oss.InitiateMultipartUploadRequest(bucket=OSS_DST, key="sdk/v2 mp"))
        upload_id = init.upload_id
        parts = []
        for n, (a, b) in enumerate([(0, MIB - 1), (MIB, 2 * MIB - 1), (2 * MIB, size - 1)], 1):
            r = c.upload_part_copy(oss.UploadPartCopyRequest(
                bucket=OSS_DST, key="sdk/v2 mp", part_number=n, upload_id=upload_id,
                source_bucket=OSS_SRC, source_key="sdk/v2-mp-src", source_range=f"bytes={a}-{b}"))
            parts.append(oss.UploadPart(part_number=n, etag=r.etag))
        page = c.list_parts(oss.ListPartsRequest(bucket=OSS_DST, key="sdk/v2 mp", upload_id=upload_id, max_parts=2))
        expect(page.is_truncated and [p.part_number for p in page.parts] == [1, 2], vars(page))
        rest = c.list_parts(oss.ListPartsRequest(bucket=OSS_DST, key="sdk/v2 mp", upload_id=upload_id,
                                                 max_parts=2, part_number_marker=page.next_part_number_marker))
        expect(not rest.is_truncated and [p.part_number for p in rest.parts] == [3], vars(rest))
        done = c.complete_multipart_upload(oss.CompleteMultipartUploadRequest(
            bucket=OSS_DST, key="sdk/v2 mp", upload_id=upload_id,
            complete_multipart_upload=oss.CompleteMultipartUpload(parts=parts)))
        expect(done.etag.strip('"').endswith("-3"), done.etag)
        expect(done.hash_crc64 == object_info(OSS_SRC, "sdk/v2-mp-src")["crc64"], done.hash_crc64)
        expect(same((OSS_SRC, "sdk/v2-mp-src"), (OSS_DST, "sdk/v2 mp")), "content")

    @check("oss-v2 list_multipart_uploads: a key with a space and a plus, over two pages")
    def _():
        key = "sdk/v2 list me+1"
        ids = sorted(c.initiate_multipart_upload(oss.InitiateMultipartUploadRequest(
            bucket=OSS_DST, key=key)).upload_id for _ in range(3))

        def page(**kw):
            return c.list_multipart_uploads(oss.ListMultipartUploadsRequest(
                bucket=OSS_DST, prefix=key, encoding_type="url", **kw))
        first = page(max_uploads=2)
        expect(first.is_truncated and [u.key for u in first.uploads] == [key, key], first.uploads)
        rest = page(max_uploads=2, key_marker=first.next_key_marker,
                    upload_id_marker=first.next_upload_id_marker)
        got = sorted(u.upload_id for u in first.uploads + rest.uploads)
        expect(not rest.is_truncated and got == ids, (got, ids))
        for upload_id in ids:
            c.abort_multipart_upload(oss.AbortMultipartUploadRequest(bucket=OSS_DST, key=key, upload_id=upload_id))
        expect(not page().uploads, "all aborted")

    @check("oss-v2 abort then NoSuchUpload; errors parsed into codes")
    def _():
        upload_id = c.initiate_multipart_upload(
            oss.InitiateMultipartUploadRequest(bucket=OSS_DST, key="sdk/v2 aborted")).upload_id
        c.abort_multipart_upload(oss.AbortMultipartUploadRequest(bucket=OSS_DST, key="sdk/v2 aborted",
                                                                 upload_id=upload_id))
        try:
            c.list_parts(oss.ListPartsRequest(bucket=OSS_DST, key="sdk/v2 aborted", upload_id=upload_id))
            raise AssertionError("list_parts after abort succeeded")
        except oss.exceptions.OperationError as e:
            expect(code_of(e) == "NoSuchUpload", code_of(e))
        try:
            c.head_object(oss.HeadObjectRequest(bucket=OSS_SRC, key="sdk/missing"))
            raise AssertionError("missing key found by HEAD")
        except oss.exceptions.OperationError as e:
            expect(code_of(e) == "NoSuchKey", code_of(e))
        try:
            client("wrong").get_object(oss.GetObjectRequest(bucket=OSS_SRC, key="sdk/v2 hello.txt"))
            raise AssertionError("wrong secret accepted")
        except oss.exceptions.OperationError as e:
            expect(code_of(e) == "SignatureDoesNotMatch", code_of(e))

    @check("oss-v2 injected 503 SlowDown parsed into its code")
    def _():
        fail_next("GetObject", "slow_down")
        try:
            c.get_object(oss.GetObjectRequest(bucket=OSS_SRC, key="sdk/v2 hello.txt"))
            raise AssertionError("the injected SlowDown was not seen")
        except oss.exceptions.OperationError as e:
            expect(code_of(e) == "SlowDown", code_of(e))
        finally:
            admin("DELETE", "/faults")

    @check(f"oss-v2 Copier of a {BIG // GIB} GiB object between buckets (multipart)")
    def _():
        create(OSS_SRC, "big/object", BIG, 4048, headers={"content-type": "application/x-big",
                                                            "x-oss-meta-size": "big"},
               tags=[["project", "partcopy"]])
        before = stats()["requests"].get("UploadPartCopy", 0)
        copier = c.copier(parallel_num=8)
        copier.copy(oss.CopyObjectRequest(bucket=OSS_DST, key="big/copy", source_bucket=OSS_SRC,
                                          source_key="big/object"))
        copies = stats()["requests"].get("UploadPartCopy", 0) - before
        expect(copies > 1, f"expected a multipart copy, saw {copies} part copies")
        expect(same((OSS_SRC, "big/object"), (OSS_DST, "big/copy")), "content")
        info = object_info(OSS_DST, "big/copy")
        expect(info["headers"].get("x-oss-meta-size") == "big", info["headers"])
        expect(info["tags"] == [["project", "partcopy"]], info["tags"])
        print(f"     {copies} UploadPartCopy requests", flush=True)


def main():
    global ENDPOINT, KEYS
    if len(sys.argv) > 1 and sys.argv[1] == "--buckets":
        print("\n".join(BUCKETS))
        return 0
    info = admin("GET", "/info")
    ENDPOINT = info["endpoint"]
    KEYS = {c["provider"]: (c["access_key_id"], c["secret"]) for c in info["credentials"]}
    for suite in (cos_suite, oss2_suite, oss_v2_suite):
        try:
            suite()
        except Exception:  # noqa: BLE001 - an import or setup failure fails the whole suite
            FAILURES.append(suite.__name__)
            traceback.print_exc()
    final = stats()
    print(json.dumps({"requests": final["requests"], "max_in_flight": final["max_in_flight"],
                      "open_uploads": final["open_uploads"]}), flush=True)
    if final["open_uploads"] != 0:
        FAILURES.append(f"{final['open_uploads']} uploads left open")
    if FAILURES:
        print(f"sdk-check: {len(FAILURES)} failure(s): {', '.join(FAILURES)}", flush=True)
        return 1
    print("sdk-check: all checks passed", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
