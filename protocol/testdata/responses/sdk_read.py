#!/usr/bin/env python3
"""Reads the response fixtures beside this script with the vendors' official Python SDKs and prints,
as JSON, what each SDK makes of them. `tests/sdk_fixtures.rs` checks that partcopy-protocol reads the
same values from the same bytes.

The fixtures are our own documents, written after the vendors' API references. Regenerate with:

    python3 -m venv /tmp/sdk-venv
    /tmp/sdk-venv/bin/pip install cos-python-sdk-v5==1.9.44 oss2==2.19.1 alibabacloud-oss-v2==1.4.1
    /tmp/sdk-venv/bin/python protocol/testdata/responses/sdk_read.py > protocol/testdata/responses/expected.json
"""

import base64
import json
import os
import sys
import types
from importlib.metadata import version

import alibabacloud_oss_v2 as oss_v2
import alibabacloud_oss_v2.serde as oss_v2_serde
import alibabacloud_oss_v2.serde_utils
import oss2.exceptions
import oss2.xml_utils
from qcloud_cos.cos_comm import decode_result, format_dict, xml_to_dict
from qcloud_cos.cos_exception import CosServiceError

HERE = os.path.dirname(os.path.abspath(__file__))


def read(name):
    with open(os.path.join(HERE, name), "rb") as f:
        return f.read()


def cos_cases():
    out = []
    d = xml_to_dict(read("cos/initiate.xml"))
    out.append({"file": "cos/initiate.xml", "kind": "initiate", "upload_id": d["UploadId"]})

    d = xml_to_dict(read("cos/copy_object.xml"))
    out.append({"file": "cos/copy_object.xml", "kind": "copy_object", "etag": d["ETag"],
                "last_modified": d["LastModified"], "crc64": int(d["CRC64"])})

    d = xml_to_dict(read("cos/copy_part.xml"))
    out.append({"file": "cos/copy_part.xml", "kind": "copy_part", "etag": d["ETag"],
                "last_modified": d["LastModified"]})

    # The SDK's own test for a failed merge: a Complete body without an ETag is an error.
    d = xml_to_dict(read("cos/complete.xml"))
    assert "ETag" in d
    out.append({"file": "cos/complete.xml", "kind": "complete", "etag": d["ETag"],
                "location": d["Location"], "bucket": d["Bucket"], "key": d["Key"]})

    d = xml_to_dict(read("cos/list_parts.xml"))
    format_dict(d, ["Part"])
    out.append({"file": "cos/list_parts.xml", "kind": "list_parts",
                "is_truncated": d["IsTruncated"] == "true",
                "next_marker": int(d["NextPartNumberMarker"]),
                "max_parts": int(d["MaxParts"]),
                "parts": [[int(p["PartNumber"]), p["ETag"], int(p["Size"])] for p in d["Part"]]})

    # As CosS3Client.list_multipart_uploads reads its answer (it asks for encoding-type=url).
    d = xml_to_dict(read("cos/list_uploads.xml"))
    format_dict(d, ["Upload", "CommonPrefixes"])
    decode_result(d, ["Prefix", "KeyMarker", "NextKeyMarker", "UploadIdMarker", "NextUploadIdMarker"],
                  [["Upload", "Key"], ["CommonPrefixes", "Prefix"]])
    out.append({"file": "cos/list_uploads.xml", "kind": "list_uploads",
                "is_truncated": d["IsTruncated"] == "true",
                "next": [d["NextKeyMarker"], d["NextUploadIdMarker"]],
                "uploads": [[u["Key"], u["UploadId"], u["Initiated"], u.get("StorageClass")] for u in d["Upload"]]})

    d = xml_to_dict(read("cos/tagging.xml"))
    format_dict(d["TagSet"], ["Tag"])
    out.append({"file": "cos/tagging.xml", "kind": "tagging",
                "tags": [[t["Key"], t["Value"]] for t in d["TagSet"]["Tag"]]})

    e = CosServiceError("POST", read("cos/error.xml"), 404)
    out.append({"file": "cos/error.xml", "kind": "error", "code": e.get_error_code(),
                "message": e.get_error_msg(), "request_id": e.get_request_id(),
                "resource": e.get_resource_location(), "trace_id": e.get_trace_id()})
    return out


def oss_v2_read(result, name):
    """Deserializes a body the way alibabacloud-oss-v2 does for an operation's output."""
    op_output = types.SimpleNamespace(http_response=types.SimpleNamespace(content=read(name)))
    return oss_v2_serde.deserialize_output_xmlbody(result, op_output)


def iso_millis(when):
    """A datetime the SDK parsed, written back in OSS's `2026-01-02T03:04:05.000Z` form."""
    return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"


class FakeResponse:
    """What oss2.exceptions.make_exception reads from a response."""

    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self._body = body

    def read(self, _n=None):
        return self._body


def oss_cases():
    out = []
    r = oss2.xml_utils.parse_init_multipart_upload(types.SimpleNamespace(), read("oss/initiate.xml"))
    out.append({"file": "oss/initiate.xml", "kind": "initiate", "upload_id": r.upload_id})

    r = oss_v2_read(oss_v2.models.CopyObjectResult(), "oss/copy_object.xml")
    out.append({"file": "oss/copy_object.xml", "kind": "copy_object", "etag": r.etag,
                "last_modified": iso_millis(r.last_modified),
                "crc64": None})

    r = oss_v2_read(oss_v2.models.UploadPartCopyResult(), "oss/copy_part.xml")
    out.append({"file": "oss/copy_part.xml", "kind": "copy_part", "etag": r.etag,
                "last_modified": iso_millis(r.last_modified)})

    r = oss_v2_read(oss_v2.models.CompleteMultipartUploadResult(), "oss/complete.xml")
    out.append({"file": "oss/complete.xml", "kind": "complete", "etag": r.etag,
                "location": r.location, "bucket": r.bucket, "key": r.key})

    r = oss_v2_read(oss_v2.models.ListPartsResult(), "oss/list_parts.xml")
    # oss2 reads the same page; it strips the quotes from ETags.
    legacy = oss2.xml_utils.parse_list_parts(types.SimpleNamespace(parts=[]), read("oss/list_parts.xml"))
    assert [p.etag for p in legacy.parts] == [p.etag.strip('"') for p in r.parts]
    out.append({"file": "oss/list_parts.xml", "kind": "list_parts",
                "is_truncated": bool(r.is_truncated),
                "next_marker": int(r.next_part_number_marker),
                "max_parts": int(r.max_parts),
                "parts": [[int(p.part_number), p.etag, int(p.size)] for p in r.parts],
                "crc64": [int(p.hash_crc64) for p in r.parts]})

    r = oss_v2_read(oss_v2.models.ListMultipartUploadsResult(), "oss/list_uploads.xml")
    r = oss_v2.serde_utils.deserialize_encode_type(r, None)
    # oss2 reads the same page.
    legacy = oss2.xml_utils.parse_list_multipart_uploads(
        types.SimpleNamespace(upload_list=[], prefix_list=[]), read("oss/list_uploads.xml"))
    assert [(u.key, u.upload_id) for u in legacy.upload_list] == [(u.key, u.upload_id) for u in r.uploads]
    assert legacy.next_key_marker == r.next_key_marker
    out.append({"file": "oss/list_uploads.xml", "kind": "list_uploads",
                "is_truncated": bool(r.is_truncated),
                "next": [r.next_key_marker, r.next_upload_id_marker],
                "uploads": [[u.key, u.upload_id, iso_millis(u.initiated), None] for u in r.uploads]})

    r = oss2.xml_utils.parse_get_tagging(types.SimpleNamespace(), read("oss/tagging.xml"))
    out.append({"file": "oss/tagging.xml", "kind": "tagging",
                "tags": [[k, v] for k, v in r.tag_set.tagging_rule.items()]})

    e = oss2.exceptions.make_exception(FakeResponse(403, {}, read("oss/error.xml")))
    out.append({"file": "oss/error.xml", "kind": "error", "code": e.code, "message": e.message,
                "request_id": e.details.get("RequestId"), "host_id": e.details.get("HostId"),
                "ec": e.details.get("EC")})

    # A HEAD error: no body, the document base64-encoded in x-oss-err.
    header = base64.b64encode(read("oss/head_error.xml")).decode()
    e = oss2.exceptions.make_exception(FakeResponse(404, {"x-oss-err": header}, b""))
    out.append({"file": "oss/head_error.xml", "kind": "head_error", "x_oss_err": header,
                "code": e.code, "message": e.message, "request_id": e.details.get("RequestId"),
                "ec": e.details.get("EC")})
    return out


def main():
    doc = {
        "generator": "protocol/testdata/responses/sdk_read.py",
        "sdks": {name: version(name) for name in
                 ("cos-python-sdk-v5", "oss2", "alibabacloud-oss-v2")},
        "cases": cos_cases() + oss_cases(),
    }
    json.dump(doc, sys.stdout, indent=1, ensure_ascii=False, sort_keys=True)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
