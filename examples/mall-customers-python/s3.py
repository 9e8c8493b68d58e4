"""Objects in an S3-compatible bucket, through a connection of type ``aws``: requests signed
with SigV4 by ``aws-request-signer`` (the project's one dependency, pure Python) and sent
through the host with ``ctx.http``, under the task's egress rules.

The connection gives the endpoint (``extra.endpoint_url``, else ``host`` and ``port``), the
access key (``login``), the secret key (``password``), the region (``extra.region_name``,
default ``us-east-1``) and the default bucket (``schema``). URLs are path-style
(``http://host:port/bucket/key``), which every S3-compatible server and IP endpoint accepts.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

from aws_request_signer import AwsRequestSigner
from weft import Connection, PermanentError
from weft.http import Http, shown


@dataclass(frozen=True)
class Bucket:
    """A bucket at an endpoint, and the signer of requests to it (`None`: anonymous)."""

    endpoint: str
    name: str
    signer: AwsRequestSigner | None

    @staticmethod
    def from_connection(conn: Connection, bucket: str | None = None) -> Bucket:
        """The bucket `bucket` (else the connection's ``schema``) at the connection's endpoint.
        A connection that names no usable endpoint, bucket or key pair fails the task for good."""
        extra = conn.extra_dejson
        endpoint = extra.get("endpoint_url")
        if not endpoint:
            if not conn.host:
                raise PermanentError(
                    f"connection `{conn.conn_id}` has no endpoint: set `extra.endpoint_url` or `host` (and `port`)"
                )
            endpoint = conn.base_url
        parts = urlsplit(str(endpoint))
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise PermanentError(f"connection `{conn.conn_id}`: endpoint `{shown(str(endpoint))}` is not an http(s) URL")
        name = bucket or conn.schema
        if not name:
            raise PermanentError(f"no bucket: give `s3.bucket` in the run's conf or set `schema` on connection `{conn.conn_id}`")
        if bool(conn.login) != bool(conn.password):
            raise PermanentError(
                f"connection `{conn.conn_id}` has only one of `login` (access key) and `password` (secret key)"
            )
        signer = None
        if conn.login and conn.password:
            region = str(extra.get("region_name") or "us-east-1")
            signer = AwsRequestSigner(region, conn.login, conn.password, "s3")
        return Bucket(f"{parts.scheme}://{parts.netloc}{parts.path.rstrip('/')}", name, signer)

    def uri(self, key: str) -> str:
        """The object's ``s3://`` name."""
        return f"s3://{self.name}/{key}"

    def url(self, key: str) -> str:
        """The object's path-style URL, its key percent-encoded once, as SigV4 signs it."""
        return f"{self.endpoint}/{quote(self.name, safe='')}/{quote(key, safe='/')}"

    def get(self, http: Http, key: str) -> bytes:
        """The object's bytes. A missing object or a refused signature fails the task for good;
        a server error or a dropped connection may be retried."""
        url = self.url(key)
        response = http.get(url, headers=self._sign("GET", url, b""))
        if response.status == 404:
            raise PermanentError(f"{self.uri(key)} does not exist ({shown(url)} answered 404)")
        response.raise_for_status()
        return response.content

    def put(self, http: Http, key: str, body: bytes, content_type: str) -> None:
        """Store `body` as the object `key`, replacing any object of that name."""
        url = self.url(key)
        headers = {"content-type": content_type, **self._sign("PUT", url, body, content_type)}
        http.put(url, headers=headers, data=body).raise_for_status()

    def _sign(self, method: str, url: str, body: bytes, content_type: str | None = None) -> dict[str, str]:
        if self.signer is None:
            return {}
        signed = {"content-type": content_type} if content_type else {}
        return self.signer.sign_with_headers(method, url, signed, hashlib.sha256(body).hexdigest())
