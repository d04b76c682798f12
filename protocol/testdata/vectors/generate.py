#!/usr/bin/env python3
"""Golden signing vectors for partcopy-protocol, made by the vendors' own Python SDKs.

Run by `cargo xtask vectors` inside a venv with the pinned SDKs (cos-python-sdk-v5==1.9.44,
oss2==2.19.1, alibabacloud-oss-v2==1.4.1). Every SDK call below goes through the SDK's normal client
code path; the HTTP layer is replaced by a stub that records the request it was about to send and
answers with an empty 200, and the clock is fixed. Output: one JSON file per provider/SDK, each a list
of cases {name, sdk, scheme, op, key, token, method, url, headers, authorization, bucket_in_host,
region, now, [http_string, string_to_sign, canonical_request]}.

Usage: generate.py OUTPUT_DIR
"""
import ast
import datetime as _dt
import json
import logging
import os
import re
import sys
import time as _time
import types
from unittest import mock

import requests
from requests.adapters import BaseAdapter

NOW = 1767323045  # 2026-01-02T03:04:05Z
AK = "AKIDEXAMPLE00000000"
SK = "SeCrEtExAmPlE/+=0123456789abcdef"
TOKEN = "TOKEN-EXAMPLE-0123456789/+="
REGION_COS = "ap-guangzhou"
REGION_OSS = "cn-hangzhou"
COS_BUCKET = "dest-1250000000"
COS_SRC_BUCKET = "source-1250000000"
OSS_BUCKET = "dest-bucket"
OSS_SRC_BUCKET = "source-bucket"
UPLOAD_ID = "1767323045a1b2c3/d+e=f"
ETAG = '"9bb58f26192e4ba00f01e2e7b136bbd8"'
# Versions and a KMS key for the version and encryption cases.
COS_VERSION = "MTg0NDUxOTk2NzQ4NTg4MTg"
OSS_VERSION = "CAEQNhiBgMDJgZCA0BYiIDc4MGZjZGI2OTBjOTRmNTE5NmU5NmFmZjk1"
KMS_KEY = "48ba38aa-26c5-11ea-855c-52540085a1b2"
# SSE-C keys (COS only): the source's is bytes 0..31, the destination's bytes 32..63.
def _sse_c(raw, prefix=""):
    import base64
    import hashlib
    return {
        prefix + "SSECustomerAlgorithm": "AES256",
        prefix + "SSECustomerKey": base64.b64encode(raw).decode(),
        prefix + "SSECustomerKeyMD5": base64.b64encode(hashlib.md5(raw).digest()).decode(),
    }
SSE_C_SOURCE = _sse_c(bytes(range(32)), "CopySource")
SSE_C_DEST = _sse_c(bytes(range(32, 64)))

KEYS = [
    "plain.txt",
    "dir/sub dir/a b.txt",
    "a+b%c?d#e&f=g",
    "\u4e2d\u6587/\u30ad\u30fc\U0001F642.bin",
    "double//slash//",
    "trailing/",
    "~tilde-_.;:@$!*'(),",
]


class Captured(Exception):
    pass


class CaptureAdapter(BaseAdapter):
    """A requests adapter that records each prepared request and answers an empty 200."""

    def __init__(self, sink):
        super().__init__()
        self.sink = sink

    def send(self, request, **kwargs):
        self.sink.append(request)
        resp = requests.Response()
        resp.status_code = 200
        resp._content = b""
        resp.headers["Content-Length"] = "0"
        resp.headers["ETag"] = ETAG
        resp.request = request
        resp.url = request.url
        raise Captured()

    def close(self):
        pass


class LogSink(logging.Handler):
    def __init__(self):
        super().__init__(logging.DEBUG)
        self.records = []

    def emit(self, record):
        self.records.append(record.getMessage())


def headers_of(h):
    """The request's headers as [name, value] pairs. The User-Agent names the machine's kernel and
    Python (no SDK signs it), so it is pinned to keep the vectors the same on every machine."""
    def value(k, v):
        v = v if isinstance(v, str) else v.decode("utf-8")
        return re.sub(r"\(.*\)", "(<platform>)", v) if k.lower() == "user-agent" else v
    return [[k, value(k, v)] for k, v in h.items() if v is not None]


class FixedDatetime(_dt.datetime):
    @classmethod
    def utcnow(cls):
        return _dt.datetime(2026, 1, 2, 3, 4, 5)

    @classmethod
    def now(cls, tz=None):
        return _dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=_dt.timezone.utc).astimezone(tz) if tz else _dt.datetime(2026, 1, 2, 3, 4, 5)


def body_bytes(b):
    if b is None:
        return b""
    if isinstance(b, bytes):
        return b
    if isinstance(b, str):
        return b.encode("utf-8")
    if hasattr(b, "read"):
        return body_bytes(b.read())
    return b"".join(body_bytes(x) for x in b)


def parse_bytes_log(msg, prefix):
    s = msg[len(prefix):]
    if s.startswith("b'") or s.startswith('b"'):
        return ast.literal_eval(s).decode("utf-8")
    return s


# ---------------------------------------------------------------- COS
def cos_cases():
    from qcloud_cos import CosConfig, CosS3Client

    out = []
    log = LogSink()
    lg = logging.getLogger("qcloud_cos.cos_auth")
    lg.setLevel(logging.DEBUG)
    lg.addHandler(log)
    for token in (None, TOKEN):
        conf = CosConfig(Region=REGION_COS, SecretId=AK, SecretKey=SK, Token=token, Scheme="https", EnableOldDomain=True)
        client = CosS3Client(conf, retry=0)
        sink = []
        client._session.mount("https://", CaptureAdapter(sink))
        client._session.mount("http://", CaptureAdapter(sink))
        for key in KEYS:
            src = {"Bucket": COS_SRC_BUCKET, "Key": key, "Region": REGION_COS}
            src_v = dict(src, VersionId="MTg0NDUxOTk2NzQ4NTg4MTg")
            ops = [
                ("head", lambda: client.head_object(Bucket=COS_BUCKET, Key=key)),
                ("get_range", lambda: client.get_object(Bucket=COS_BUCKET, Key=key, Range="bytes=0-1023")),
                ("put", lambda: client.put_object(Bucket=COS_BUCKET, Key=key, Body=b"hello partcopy")),
                ("get_tagging", lambda: client.get_object_tagging(Bucket=COS_BUCKET, Key=key)),
                ("put_copy", lambda: client.copy_object(Bucket=COS_BUCKET, Key=key, CopySource=src, CopySourceIfMatch=ETAG)),
                ("put_copy_replace", lambda: client.copy_object(
                    Bucket=COS_BUCKET, Key=key, CopySource=src_v, CopyStatus="Replaced",
                    ContentType="text/plain; charset=utf-8", CacheControl="no-cache",
                    # The SDK has no TaggingDirective parameter; entries of Metadata go out as headers.
                    Metadata={"x-cos-meta-color": "blue", "x-cos-meta-n": "1", "x-cos-tagging-directive": "Replaced"},
                    StorageClass="STANDARD_IA")),
                ("initiate", lambda: client.create_multipart_upload(
                    Bucket=COS_BUCKET, Key=key, ContentType="application/octet-stream",
                    Metadata={"x-cos-meta-color": "blue"}, StorageClass="STANDARD", Tagging="k1=v1&k%202=v%262")),
                ("upload_part_copy", lambda: client.upload_part_copy(
                    Bucket=COS_BUCKET, Key=key, PartNumber=7, UploadId=UPLOAD_ID, CopySource=src,
                    CopySourceRange="bytes=6291456-7340031", CopySourceIfMatch=ETAG)),
                ("list_parts", lambda: client.list_parts(Bucket=COS_BUCKET, Key=key, UploadId=UPLOAD_ID, MaxParts=100, PartNumberMarker=20)),
                ("complete", lambda: client.complete_multipart_upload(
                    Bucket=COS_BUCKET, Key=key, UploadId=UPLOAD_ID,
                    MultipartUpload={"Part": [{"PartNumber": 1, "ETag": ETAG}, {"PartNumber": 2, "ETag": ETAG}]})),
                ("abort", lambda: client.abort_multipart_upload(Bucket=COS_BUCKET, Key=key, UploadId=UPLOAD_ID)),
                # The uploads of one key (prefix = the key), from a marker: `partcopy uploads`.
                ("list_uploads", lambda: client.list_multipart_uploads(
                    Bucket=COS_BUCKET, Prefix=key, KeyMarker=key, UploadIdMarker=UPLOAD_ID, MaxUploads=100)),
                # Every upload in the bucket, first page: `partcopy uploads cos://bucket/ --prefix`.
                ("list_uploads_all", lambda: client.list_multipart_uploads(Bucket=COS_BUCKET, MaxUploads=1000)),
                # The objects under one key (prefix = the key), from a marker: a next page of List Objects.
                ("list_objects", lambda: client.list_objects(
                    Bucket=COS_BUCKET, Prefix=key, Marker=key, MaxKeys=100, EncodingType="url")),
                # Every object in the bucket, first page.
                ("list_objects_all", lambda: client.list_objects(Bucket=COS_BUCKET, MaxKeys=1000, EncodingType="url")),
                ("head_version", lambda: client.head_object(Bucket=COS_BUCKET, Key=key, VersionId=COS_VERSION)),
                # DELETE of the object, and of one version of it (`--delete-source`).
                ("delete", lambda: client.delete_object(Bucket=COS_BUCKET, Key=key)),
                ("delete_version", lambda: client.delete_object(Bucket=COS_BUCKET, Key=key, VersionId=COS_VERSION)),
                ("put_copy_sse", lambda: client.copy_object(
                    Bucket=COS_BUCKET, Key=key, CopySource=src, CopySourceIfMatch=ETAG,
                    ServerSideEncryption="cos/kms", SSEKMSKeyId=KMS_KEY)),
                ("initiate_sse", lambda: client.create_multipart_upload(
                    Bucket=COS_BUCKET, Key=key, ContentType="application/octet-stream",
                    ServerSideEncryption="cos/kms", SSEKMSKeyId=KMS_KEY)),
                # SSE-C: the destination's key on HEAD, GET and the writes; the source's on copies.
                ("head_ssec", lambda: client.head_object(Bucket=COS_BUCKET, Key=key, **SSE_C_DEST)),
                ("get_range_ssec", lambda: client.get_object(
                    Bucket=COS_BUCKET, Key=key, Range="bytes=0-1023", **SSE_C_DEST)),
                ("put_copy_ssec", lambda: client.copy_object(
                    Bucket=COS_BUCKET, Key=key, CopySource=src, CopySourceIfMatch=ETAG,
                    **SSE_C_SOURCE, **SSE_C_DEST)),
                ("initiate_ssec", lambda: client.create_multipart_upload(
                    Bucket=COS_BUCKET, Key=key, ContentType="application/octet-stream", **SSE_C_DEST)),
                ("upload_part_copy_ssec", lambda: client.upload_part_copy(
                    Bucket=COS_BUCKET, Key=key, PartNumber=7, UploadId=UPLOAD_ID, CopySource=src,
                    CopySourceRange="bytes=6291456-7340031", CopySourceIfMatch=ETAG,
                    **SSE_C_SOURCE, **SSE_C_DEST)),
                # No overwrite: the SDK has no parameter; entries of Metadata go out as headers.
                ("put_copy_no_overwrite", lambda: client.copy_object(
                    Bucket=COS_BUCKET, Key=key, CopySource=src, CopySourceIfMatch=ETAG,
                    Metadata={"x-cos-forbid-overwrite": "true"})),
                ("initiate_no_overwrite", lambda: client.create_multipart_upload(
                    Bucket=COS_BUCKET, Key=key, ContentType="application/octet-stream",
                    Metadata={"x-cos-forbid-overwrite": "true"})),
                ("complete_no_overwrite", lambda: client.complete_multipart_upload(
                    Bucket=COS_BUCKET, Key=key, UploadId=UPLOAD_ID,
                    MultipartUpload={"Part": [{"PartNumber": 1, "ETag": ETAG}, {"PartNumber": 2, "ETag": ETAG}]},
                    Metadata={"x-cos-forbid-overwrite": "true"})),
                # A canned ACL: COS takes it on PUT-Copy and Initiate.
                ("put_copy_acl", lambda: client.copy_object(
                    Bucket=COS_BUCKET, Key=key, CopySource=src, CopySourceIfMatch=ETAG, ACL="public-read")),
                ("initiate_acl", lambda: client.create_multipart_upload(
                    Bucket=COS_BUCKET, Key=key, ContentType="application/octet-stream", ACL="private")),
                # New tags on a PUT-Copy: the tagging directive through Metadata (no parameter).
                ("put_copy_tags", lambda: client.copy_object(
                    Bucket=COS_BUCKET, Key=key, CopySource=src, CopySourceIfMatch=ETAG,
                    Tagging="k1=v1&k%202=v%262", Metadata={"x-cos-tagging-directive": "Replaced"})),
            ]
            for op, call in ops:
                sink.clear()
                log.records.clear()
                with mock.patch("time.time", return_value=float(NOW)):
                    try:
                        call()
                    except Exception:
                        pass
                if not sink:
                    raise SystemExit(f"COS {op} {key!r}: no request captured")
                r = sink[0]
                fmt = [m for m in log.records if m.startswith("format str: ")]
                sts = [m for m in log.records if m.startswith("str_to_sign: ")]
                body = body_bytes(r.body)
                out.append({
                    "name": f"cos/{op}/{'sts' if token else 'plain'}/{key}",
                    "sdk": "cos-python-sdk-v5==1.9.44",
                    "scheme": "cos",
                    "op": op,
                    "key": key,
                    "token": token,
                    "method": r.method,
                    "url": r.url,
                    "headers": headers_of(r.headers),
                    "body": (body or b"").decode("utf-8"),
                    "authorization": r.headers["Authorization"],
                    "bucket_in_host": COS_BUCKET,
                    "region": REGION_COS,
                    "now": NOW,
                    "http_string": fmt[-1][len("format str: "):] if fmt else None,
                    "string_to_sign": sts[-1][len("str_to_sign: "):] if sts else None,
                })
    return out


# ---------------------------------------------------------------- oss2 (V1 and V4)
def oss2_cases():
    import oss2

    out = []
    log = LogSink()
    lg = logging.getLogger("oss2.auth")
    lg.setLevel(logging.DEBUG)
    lg.addHandler(log)
    for version in ("v1", "v4"):
        for token in (None, TOKEN):
            for style, endpoint in (("vhost", f"https://oss-{REGION_OSS}.aliyuncs.com"), ("path", "http://127.0.0.1:9000")):
                if token:
                    auth = oss2.StsAuth(AK, SK, TOKEN, auth_version=version)
                else:
                    auth = oss2.AuthV4(AK, SK) if version == "v4" else oss2.Auth(AK, SK)
                session = oss2.Session()
                sink = []
                session.session.mount("https://", CaptureAdapter(sink))
                session.session.mount("http://", CaptureAdapter(sink))
                bucket = oss2.Bucket(auth, endpoint, OSS_BUCKET, session=session, region=REGION_OSS)
                for key in KEYS:
                    ops = [
                        ("head", lambda: bucket.head_object(key)),
                        ("get_range", lambda: bucket.get_object(key, byte_range=(0, 1023))),
                        ("put", lambda: bucket.put_object(key, b"hello partcopy")),
                        ("get_tagging", lambda: bucket.get_object_tagging(key)),
                        ("put_copy", lambda: bucket.copy_object(OSS_SRC_BUCKET, key, key, headers={"x-oss-copy-source-if-match": ETAG})),
                        ("put_copy_replace", lambda: bucket.copy_object(
                            OSS_SRC_BUCKET, key, key, params={"versionId": "CAEQNhiBgMDJgZCA0BYiIDc4MGZjZGI2OTBjOTRmNTE5NmU5NmFmZjk1"},
                            headers={"x-oss-metadata-directive": "REPLACE", "Content-Type": "text/plain; charset=utf-8",
                                     "Cache-Control": "no-cache", "x-oss-meta-color": "blue", "x-oss-meta-n": "1",
                                     "x-oss-storage-class": "IA", "x-oss-tagging-directive": "REPLACE"})),
                        ("initiate", lambda: bucket.init_multipart_upload(key, headers={
                            "Content-Type": "application/octet-stream", "x-oss-meta-color": "blue",
                            "x-oss-storage-class": "Standard", "x-oss-tagging": "k1=v1&k%202=v%262"})),
                        ("upload_part_copy", lambda: bucket.upload_part_copy(
                            OSS_SRC_BUCKET, key, (6291456, 7340031), key, UPLOAD_ID, 7,
                            headers={"x-oss-copy-source-if-match": ETAG})),
                        ("list_parts", lambda: bucket.list_parts(key, UPLOAD_ID, marker="20", max_parts=100)),
                        ("complete", lambda: bucket.complete_multipart_upload(
                            key, UPLOAD_ID, [oss2.models.PartInfo(1, ETAG), oss2.models.PartInfo(2, ETAG)])),
                        ("abort", lambda: bucket.abort_multipart_upload(key, UPLOAD_ID)),
                        ("list_uploads", lambda: bucket.list_multipart_uploads(
                            prefix=key, key_marker=key, upload_id_marker=UPLOAD_ID, max_uploads=100)),
                        ("list_uploads_all", lambda: bucket.list_multipart_uploads(max_uploads=1000)),
                        # oss2 takes no encoding type: it always sends encoding-type=url.
                        ("list_objects", lambda: bucket.list_objects(prefix=key, marker=key, max_keys=100)),
                        ("list_objects_all", lambda: bucket.list_objects(max_keys=1000)),
                        ("head_version", lambda: bucket.head_object(key, params={"versionId": OSS_VERSION})),
                        ("delete", lambda: bucket.delete_object(key)),
                        ("delete_version", lambda: bucket.delete_object(key, params={"versionId": OSS_VERSION})),
                        ("put_copy_sse", lambda: bucket.copy_object(OSS_SRC_BUCKET, key, key, headers={
                            "x-oss-copy-source-if-match": ETAG, "x-oss-server-side-encryption": "KMS",
                            "x-oss-server-side-encryption-key-id": KMS_KEY,
                            "x-oss-server-side-data-encryption": "SM4"})),
                        ("initiate_sse", lambda: bucket.init_multipart_upload(key, headers={
                            "Content-Type": "application/octet-stream", "x-oss-server-side-encryption": "KMS",
                            "x-oss-server-side-encryption-key-id": KMS_KEY,
                            "x-oss-server-side-data-encryption": "SM4"})),
                    ]
                    for op, call in ops:
                        sink.clear()
                        log.records.clear()
                        with mock.patch("time.time", return_value=float(NOW)), \
                                mock.patch("oss2.auth.datetime", FixedDatetime):
                            try:
                                call()
                            except Exception:
                                pass
                        if not sink:
                            raise SystemExit(f"oss2 {op} {key!r}: no request captured")
                        r = sink[0]
                        sts = [m for m in log.records if m.startswith("Make signature: string to be signed = ")]
                        cr = [m for m in log.records if m.startswith("Make signature: canonical_request = ")]
                        body = body_bytes(r.body)
                        out.append({
                            "name": f"oss2-{version}/{op}/{style}/{'sts' if token else 'plain'}/{key}",
                            "sdk": "oss2==2.19.1",
                            "scheme": "oss-" + version,
                            "op": op,
                            "key": key,
                            "token": token,
                            "method": r.method,
                            "url": r.url,
                            "headers": headers_of(r.headers),
                            "body": (body or b"").decode("utf-8"),
                            "authorization": r.headers.get("authorization") or r.headers.get("Authorization"),
                            "bucket_in_host": OSS_BUCKET if style == "vhost" else None,
                            "region": REGION_OSS,
                            "now": NOW,
                            "string_to_sign": parse_bytes_log(sts[-1], "Make signature: string to be signed = ") if sts else None,
                            "canonical_request": parse_bytes_log(cr[-1], "Make signature: canonical_request = ") if cr else None,
                        })
    # V4 with additional signed headers (AdditionalHeaders=…): oss2's Bucket does not expose them for
    # header signing, so call its V4 signer directly on a request like the ones above.
    for token in (None, TOKEN):
        auth = oss2.ProviderAuthV4(oss2.credentials.StaticCredentialsProvider(AK, SK, token))
        for key in KEYS:
            host = f"{OSS_BUCKET}.oss-{REGION_OSS}.aliyuncs.com"
            url = f"https://{host}/" + oss2.compat.urlquote(key, "")
            req = oss2.http.Request("GET", url, headers={"range": "bytes=0-1023", "host": host,
                                                        "if-none-match": ETAG}, region=REGION_OSS, product="oss")
            log.records.clear()
            with mock.patch("oss2.auth.datetime", FixedDatetime):
                auth._sign_request(req, OSS_BUCKET, key, in_additional_headers=["range", "host", "if-none-match"])
            sts = [m for m in log.records if m.startswith("Make signature: string to be signed = ")]
            cr = [m for m in log.records if m.startswith("Make signature: canonical_request = ")]
            out.append({
                "name": f"oss2-v4-addh/get_range/vhost/{'sts' if token else 'plain'}/{key}",
                "sdk": "oss2==2.19.1",
                "scheme": "oss-v4",
                "op": "get_range_additional_headers",
                "key": key,
                "token": token,
                "method": req.method,
                "url": url,
                "headers": headers_of(req.headers),
                "body": "",
                "authorization": req.headers["authorization"],
                "bucket_in_host": OSS_BUCKET,
                "region": REGION_OSS,
                "now": NOW,
                "string_to_sign": parse_bytes_log(sts[-1], "Make signature: string to be signed = "),
                "canonical_request": parse_bytes_log(cr[-1], "Make signature: canonical_request = "),
            })
    return out


# ---------------------------------------------------------------- alibabacloud-oss-v2 (V4 and V1)
def oss_v2_cases():
    import alibabacloud_oss_v2 as oss
    from alibabacloud_oss_v2.types import HttpClient

    class Recorder(HttpClient):
        def __init__(self):
            self.sink = []

        def send(self, request, **kwargs):
            self.sink.append({"method": request.method, "url": request.url, "headers": dict(request.headers),
                              "body": request.body})
            raise Captured()

        def open(self):
            pass

        def close(self):
            pass

    fixed_dt = types.SimpleNamespace(datetime=FixedDatetime, timezone=_dt.timezone, timedelta=_dt.timedelta)
    out = []
    for version in ("v4", "v1"):
        for token in (None, TOKEN):
            for style in ("vhost", "path"):
                rec = Recorder()
                cfg = oss.config.load_default()
                cfg.credentials_provider = oss.credentials.StaticCredentialsProvider(AK, SK, token)
                cfg.region = REGION_OSS
                cfg.signature_version = version
                cfg.http_client = rec
                cfg.retry_max_attempts = 1
                if style == "path":
                    cfg.endpoint = "http://127.0.0.1:9000"
                    cfg.use_path_style = True
                client = oss.Client(cfg)
                for key in KEYS:
                    B = OSS_BUCKET
                    ops = [
                        ("head", lambda: client.head_object(oss.HeadObjectRequest(bucket=B, key=key))),
                        ("get_range", lambda: client.get_object(oss.GetObjectRequest(bucket=B, key=key, range_header="bytes=0-1023"))),
                        ("put", lambda: client.put_object(oss.PutObjectRequest(bucket=B, key=key, body=b"hello partcopy"))),
                        ("get_tagging", lambda: client.get_object_tagging(oss.GetObjectTaggingRequest(bucket=B, key=key))),
                        ("put_copy", lambda: client.copy_object(oss.CopyObjectRequest(
                            bucket=B, key=key, source_bucket=OSS_SRC_BUCKET, source_key=key, if_match=ETAG))),
                        ("put_copy_replace", lambda: client.copy_object(oss.CopyObjectRequest(
                            bucket=B, key=key, source_bucket=OSS_SRC_BUCKET, source_key=key,
                            source_version_id="CAEQNhiBgMDJgZCA0BYiIDc4MGZjZGI2OTBjOTRmNTE5NmU5NmFmZjk1",
                            metadata_directive="REPLACE", tagging_directive="REPLACE",
                            content_type="text/plain; charset=utf-8", cache_control="no-cache",
                            metadata={"color": "blue", "n": "1"}, storage_class="IA"))),
                        ("initiate", lambda: client.initiate_multipart_upload(oss.InitiateMultipartUploadRequest(
                            bucket=B, key=key, content_type="application/octet-stream", metadata={"color": "blue"},
                            storage_class="Standard", tagging="k1=v1&k%202=v%262"))),
                        ("upload_part_copy", lambda: client.upload_part_copy(oss.UploadPartCopyRequest(
                            bucket=B, key=key, source_bucket=OSS_SRC_BUCKET, source_key=key, upload_id=UPLOAD_ID,
                            part_number=7, source_range="bytes=6291456-7340031", if_match=ETAG))),
                        ("list_parts", lambda: client.list_parts(oss.ListPartsRequest(
                            bucket=B, key=key, upload_id=UPLOAD_ID, max_parts=100, part_number_marker=20))),
                        ("complete", lambda: client.complete_multipart_upload(oss.CompleteMultipartUploadRequest(
                            bucket=B, key=key, upload_id=UPLOAD_ID,
                            complete_multipart_upload=oss.CompleteMultipartUpload(parts=[
                                oss.UploadPart(part_number=1, etag=ETAG), oss.UploadPart(part_number=2, etag=ETAG)])))),
                        ("abort", lambda: client.abort_multipart_upload(oss.AbortMultipartUploadRequest(
                            bucket=B, key=key, upload_id=UPLOAD_ID))),
                        ("list_uploads", lambda: client.list_multipart_uploads(oss.ListMultipartUploadsRequest(
                            bucket=B, prefix=key, key_marker=key, upload_id_marker=UPLOAD_ID, max_uploads=100,
                            encoding_type="url"))),
                        ("list_uploads_all", lambda: client.list_multipart_uploads(oss.ListMultipartUploadsRequest(
                            bucket=B, max_uploads=1000, encoding_type="url"))),
                        # The V1 ListObjects (not ListObjectsV2).
                        ("list_objects", lambda: client.list_objects(oss.ListObjectsRequest(
                            bucket=B, prefix=key, marker=key, max_keys=100, encoding_type="url"))),
                        ("list_objects_all", lambda: client.list_objects(oss.ListObjectsRequest(
                            bucket=B, max_keys=1000, encoding_type="url"))),
                        ("head_version", lambda: client.head_object(oss.HeadObjectRequest(
                            bucket=B, key=key, version_id=OSS_VERSION))),
                        ("delete", lambda: client.delete_object(oss.DeleteObjectRequest(bucket=B, key=key))),
                        ("delete_version", lambda: client.delete_object(oss.DeleteObjectRequest(
                            bucket=B, key=key, version_id=OSS_VERSION))),
                        ("put_copy_sse", lambda: client.copy_object(oss.CopyObjectRequest(
                            bucket=B, key=key, source_bucket=OSS_SRC_BUCKET, source_key=key, if_match=ETAG,
                            server_side_encryption="KMS", server_side_encryption_key_id=KMS_KEY,
                            server_side_data_encryption="SM4"))),
                        ("initiate_sse", lambda: client.initiate_multipart_upload(oss.InitiateMultipartUploadRequest(
                            bucket=B, key=key, content_type="application/octet-stream",
                            server_side_encryption="KMS", server_side_encryption_key_id=KMS_KEY,
                            server_side_data_encryption="SM4"))),
                        ("put_copy_no_overwrite", lambda: client.copy_object(oss.CopyObjectRequest(
                            bucket=B, key=key, source_bucket=OSS_SRC_BUCKET, source_key=key, if_match=ETAG,
                            forbid_overwrite=True))),
                        ("initiate_no_overwrite", lambda: client.initiate_multipart_upload(oss.InitiateMultipartUploadRequest(
                            bucket=B, key=key, content_type="application/octet-stream", forbid_overwrite=True))),
                        ("complete_no_overwrite", lambda: client.complete_multipart_upload(oss.CompleteMultipartUploadRequest(
                            bucket=B, key=key, upload_id=UPLOAD_ID, forbid_overwrite=True,
                            complete_multipart_upload=oss.CompleteMultipartUpload(parts=[
                                oss.UploadPart(part_number=1, etag=ETAG), oss.UploadPart(part_number=2, etag=ETAG)])))),
                        # A canned ACL: OSS takes it on CopyObject and Complete.
                        ("put_copy_acl", lambda: client.copy_object(oss.CopyObjectRequest(
                            bucket=B, key=key, source_bucket=OSS_SRC_BUCKET, source_key=key, if_match=ETAG,
                            acl="public-read"))),
                        ("complete_acl", lambda: client.complete_multipart_upload(oss.CompleteMultipartUploadRequest(
                            bucket=B, key=key, upload_id=UPLOAD_ID, acl="private",
                            complete_multipart_upload=oss.CompleteMultipartUpload(parts=[
                                oss.UploadPart(part_number=1, etag=ETAG), oss.UploadPart(part_number=2, etag=ETAG)])))),
                        ("put_copy_tags", lambda: client.copy_object(oss.CopyObjectRequest(
                            bucket=B, key=key, source_bucket=OSS_SRC_BUCKET, source_key=key, if_match=ETAG,
                            tagging="k1=v1&k%202=v%262", tagging_directive="REPLACE"))),
                    ]
                    for op, call in ops:
                        rec.sink.clear()
                        with mock.patch("alibabacloud_oss_v2.signer.v4.datetime", fixed_dt), \
                                mock.patch("alibabacloud_oss_v2.signer.v1.datetime", fixed_dt):
                            try:
                                call()
                            except Exception:
                                pass
                        if not rec.sink:
                            raise SystemExit(f"oss-v2 {op} {key!r}: no request captured")
                        r = rec.sink[0]
                        body = body_bytes(r["body"])
                        out.append({
                            "name": f"ossv2-{version}/{op}/{style}/{'sts' if token else 'plain'}/{key}",
                            "sdk": "alibabacloud-oss-v2==1.4.1",
                            "scheme": "oss-" + version,
                            "op": op,
                            "key": key,
                            "token": token,
                            "method": r["method"],
                            "url": r["url"],
                            "headers": headers_of(r["headers"]),
                            "body": (body or b"").decode("utf-8"),
                            "authorization": r["headers"].get("Authorization"),
                            "bucket_in_host": OSS_BUCKET if style == "vhost" else None,
                            "region": REGION_OSS,
                            "now": NOW,
                        })
    return out


def main():
    outdir = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__))
    for name, fn in (("cos.json", cos_cases), ("oss2.json", oss2_cases), ("oss_v2.json", oss_v2_cases)):
        cases = fn()
        with open(os.path.join(outdir, name), "w", encoding="utf-8") as f:
            json.dump({"generator": "generate.py", "credentials": {"access_key_id": AK, "secret": SK, "session_token": TOKEN},
                       "cases": cases}, f, ensure_ascii=False, indent=1, sort_keys=True)
            f.write("\n")
        print(f"{name}: {len(cases)} cases")


if __name__ == "__main__":
    main()
