#!/usr/bin/env python3
"""Downloads every object under s3://BUCKET/PREFIX from an S3-compatible endpoint into
DEST (keeping the key layout), so tests read an exported lake back through S3.
Usage: s3_fetch.py ENDPOINT BUCKET PREFIX DEST"""
import os, sys

import boto3

endpoint, bucket, prefix, dest = sys.argv[1:5]
s3 = boto3.client("s3", endpoint_url=endpoint, region_name=os.environ.get("AWS_REGION", "us-east-1"))
count = 0
for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
    for obj in page.get("Contents", []):
        path = os.path.join(dest, obj["Key"][len(prefix):].lstrip("/"))
        os.makedirs(os.path.dirname(path), exist_ok=True)
        s3.download_file(bucket, obj["Key"], path)
        count += 1
print(count)
