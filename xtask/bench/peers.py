#!/usr/bin/env python3
"""One vendor copy helper run for `cargo xtask bench`: the peer partcopy is compared with.

Usage: peers.py cos|oss ADMIN_URL SRC_BUCKET SRC_REGION SRC_KEY DST_BUCKET DST_KEY PART_SIZE CONCURRENCY

- cos: cos-python-sdk-v5 `CosS3Client.copy` (the source in another region makes it go multipart;
  its multipart threshold is set to the part size so small objects do too). The emulator is used as
  an HTTP proxy so the SDK keeps the real host names, as in emulator/sdk-check/check.py.
- oss: alibabacloud-oss-v2 `Copier` between two buckets (V4 signatures, path-style on the emulator).

The caller measures the process (wall, CPU, peak RSS); this prints one JSON line with the time spent
inside the copy call itself. Credentials and the endpoint come from the emulator's admin API.
"""

import json
import sys
import time
import urllib.request

MIB = 1024 * 1024


def info(admin):
    with urllib.request.urlopen(admin.rstrip("/") + "/info", timeout=30) as resp:
        data = json.loads(resp.read())
    keys = {c["provider"]: (c["access_key_id"], c["secret"]) for c in data["credentials"]}
    return data["endpoint"], keys


def cos_copy(endpoint, keys, src_bucket, src_region, src_key, dst_bucket, dst_key, part_size, concurrency):
    from qcloud_cos import CosConfig, CosS3Client

    if part_size % MIB:
        raise SystemExit("cos copy() takes whole MiB part sizes")
    sid, skey = keys["cos"]
    dst_region = "ap-guangzhou"
    conf = CosConfig(Region=dst_region, SecretId=sid, SecretKey=skey, Scheme="http",
                     Proxies={"http": endpoint}, Timeout=120)
    conf.set_copy_part_threshold_size(part_size)
    client = CosS3Client(conf)
    client.copy(Bucket=dst_bucket, Key=dst_key,
                CopySource={"Bucket": src_bucket, "Key": src_key, "Region": src_region},
                PartSize=part_size // MIB, MAXThread=concurrency)


def oss_copy(endpoint, keys, src_bucket, src_region, src_key, dst_bucket, dst_key, part_size, concurrency):
    import alibabacloud_oss_v2 as oss

    ak, sk = keys["oss"]
    cfg = oss.config.load_default()
    cfg.credentials_provider = oss.credentials.StaticCredentialsProvider(ak, sk)
    cfg.region = src_region
    cfg.endpoint = endpoint
    cfg.use_path_style = True
    client = oss.Client(cfg)
    copier = client.copier(part_size=part_size, parallel_num=concurrency, multipart_copy_threshold=part_size)
    copier.copy(oss.CopyObjectRequest(bucket=dst_bucket, key=dst_key, source_bucket=src_bucket,
                                      source_key=src_key))


def main():
    if len(sys.argv) != 10 or sys.argv[1] not in ("cos", "oss"):
        print(__doc__, file=sys.stderr)
        return 2
    which, admin, src_bucket, src_region, src_key, dst_bucket, dst_key = sys.argv[1:8]
    part_size, concurrency = int(sys.argv[8]), int(sys.argv[9])
    endpoint, keys = info(admin)
    copy = cos_copy if which == "cos" else oss_copy
    start = time.monotonic()
    copy(endpoint, keys, src_bucket, src_region, src_key, dst_bucket, dst_key, part_size, concurrency)
    print(json.dumps({"elapsed_ms": round((time.monotonic() - start) * 1000)}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
