"""The bucket ``s3`` makes from a connection, its URLs, and the errors S3's answers become."""

import pytest

from s3 import Bucket, _check, endpoint_of
from weft import Connection, HttpError, PermanentError
from weft.host import HttpReply
from weft.http import Response


def conn(**fields) -> Connection:
    return Connection(conn_id="aws_default", conn_type="aws", **fields)


@pytest.mark.parametrize(
    ("fields", "endpoint"),
    [
        ({"extra": '{"endpoint_url": "http://127.0.0.1:9000/"}', "host": "ignored"}, "http://127.0.0.1:9000"),
        ({"host": "minio", "port": 9000, "schema": "weft"}, "https://minio:9000"),
        ({"host": "minio", "port": 9000, "extra": '{"use_ssl": false}'}, "http://minio:9000"),
        ({"host": "http://minio/", "port": 9000}, "http://minio:9000"),
        ({"host": "s3.eu-west-3.amazonaws.com"}, "https://s3.eu-west-3.amazonaws.com"),
    ],
)
def test_endpoint_from_the_url_or_host_and_port(fields, endpoint):
    assert endpoint_of(conn(**fields)) == endpoint


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({}, "has no endpoint"),
        ({"extra": '{"endpoint_url": "ftp://host"}'}, "is not http://HOST[:PORT]"),
        ({"extra": '{"endpoint_url": "http://host:port"}'}, "the endpoint's port is not a number"),
        ({"host": "h", "login": "key"}, "only one of `login` (access key) and `password`"),
        ({"host": "h"}, "no bucket"),
    ],
)
def test_a_connection_that_names_no_usable_bucket_fails_for_good(fields, message):
    bucket = None if "no bucket" in message else "b"
    with pytest.raises(PermanentError) as refused:
        Bucket.from_connection(conn(**fields), bucket)
    assert message in str(refused.value)


def test_keys_are_percent_encoded_once_and_requests_signed():
    bucket = Bucket.from_connection(conn(host="h", port=1, login="AK", password="SK", schema="weft"))
    assert bucket.url("in put/a+b:c/é.csv") == "https://h:1/weft/in%20put/a%2Bb%3Ac/%C3%A9.csv"
    headers = bucket._sign("GET", bucket.url("k"), b"", {})
    assert headers["Authorization"].startswith("AWS4-HMAC-SHA256 Credential=AK/")
    assert "SK" not in repr(bucket), "a logged bucket does not show the secret key"
    anonymous = Bucket.from_connection(conn(host="h", schema="weft"))
    assert anonymous._sign("GET", anonymous.url("k"), b"", {}) == {}


def reply(status: int, body: str) -> Response:
    return Response("http://h/b/k", HttpReply(status, (), body.encode()))


def test_s3_errors_name_the_code_and_say_whether_to_retry():
    _check(reply(200, ""), "GET s3://b/k")
    with pytest.raises(HttpError) as denied:
        _check(reply(403, "<Error><Code>SignatureDoesNotMatch</Code><Message>no</Message></Error>"), "GET s3://b/k")
    assert str(denied.value) == "GET s3://b/k answered 403: SignatureDoesNotMatch (no)"
    assert denied.value.kind == "permanent"
    with pytest.raises(HttpError) as busy:
        _check(reply(503, "<Error><Code>SlowDown</Code></Error>"), "PUT s3://b/k")
    assert str(busy.value) == "PUT s3://b/k answered 503: SlowDown" and busy.value.kind == "retryable"
    with pytest.raises(HttpError) as bare:
        _check(reply(500, "oops"), "GET s3://b/k")
    assert str(bare.value) == "GET s3://b/k answered 500"
