"""moto server with the changes ptsaml's end-to-end tests need (moto 5.2.1).

Run by moto.sh as: python3 moto_ptsaml.py -H 127.0.0.1 -p PORT

1. AssumeRoleWithSAML / AssumeRoleWithWebIdentity are accepted unsigned, as AWS
   does (stock moto answers HTTP 500 to an unsigned call once auth is on).
2. AssumeRoleWithSAML decides like AWS: the RoleArn/PrincipalArn pair must be
   one of the Role attribute values (else AccessDenied); the Response
   signature is checked with xmlsec1 against the certificate of the SAML
   provider's metadata (else InvalidIdentityToken, as AWS answers)
   (MOTO_SAML_VERIFY=0 turns that off); an expired assertion is refused;
   RoleSessionName is required; DurationSeconds (900..43200, default 3600) is
   capped by the SessionDuration attribute, and by MOTO_CAP_DURATION seconds
   when set (short credentials for refresh tests: SDKs refuse to ask < 900).
3. Expired temporary credentials are refused (ExpiredToken), as AWS does.
"""
import base64
import datetime
import os
import re
import subprocess
import sys
import tempfile
import threading
import xml.etree.ElementTree as ET

from moto.core.authorization import ActionAuthenticatorMixin
from moto.core.exceptions import _RESTError
from moto.core.utils import utcnow
from moto.iam import access_control as ac
from moto.iam.models import iam_backends
from moto.s3.exceptions import S3ClientError
from moto.server import main
from moto.sts.exceptions import STSClientError
from moto.sts.models import STSBackend, sts_backends
from moto.sts.responses import TokenResponse

NS = {"p": "urn:oasis:names:tc:SAML:2.0:protocol", "a": "urn:oasis:names:tc:SAML:2.0:assertion"}
AWS_ATTR = "https://aws.amazon.com/SAML/Attributes/"
UNSIGNED = {"AssumeRoleWithSAML", "AssumeRoleWithWebIdentity"}

# 1. unsigned federation calls
_orig_auth = ActionAuthenticatorMixin._authenticate_and_authorize_action


def _auth(self, iam_request_cls, resource="*"):
    if self._get_action() in UNSIGNED:
        return None
    return _orig_auth(self, iam_request_cls, resource)


ActionAuthenticatorMixin._authenticate_and_authorize_action = _auth


# 2. AssumeRoleWithSAML like AWS
def _deny(msg):
    raise STSClientError("AccessDenied", msg)


def _time(s):
    return datetime.datetime.strptime(s[:19], "%Y-%m-%dT%H:%M:%S").replace(tzinfo=datetime.timezone.utc)


def _verify_signature(raw, principal_arn, account_id, partition):
    try:
        provider = iam_backends[account_id][partition].get_saml_provider(principal_arn)
    except Exception:
        raise STSClientError("InvalidIdentityToken", "Specified provider doesn't exist")
    m = re.search(r"<(?:ds:)?X509Certificate>\s*([^<]+?)\s*</", provider.saml_metadata_document or "")
    if not m:
        _deny("SAML provider metadata has no certificate")
    b64 = re.sub(r"\s+", "", m.group(1))
    pem = "-----BEGIN CERTIFICATE-----\n%s\n-----END CERTIFICATE-----\n" % "\n".join(
        b64[i:i + 64] for i in range(0, len(b64), 64))
    with tempfile.TemporaryDirectory() as d:
        cert, doc = os.path.join(d, "idp.pem"), os.path.join(d, "response.xml")
        with open(cert, "w") as f:
            f.write(pem)
        with open(doc, "wb") as f:
            f.write(raw)
        r = subprocess.run(["xmlsec1", "--verify", "--pubkey-cert-pem", cert,
                            "--id-attr:ID", "urn:oasis:names:tc:SAML:2.0:protocol:Response",
                            "--id-attr:ID", "urn:oasis:names:tc:SAML:2.0:assertion:Assertion", doc],
                           capture_output=True, check=False)
    if r.returncode != 0:
        raise STSClientError("InvalidIdentityToken", "Response signature invalid")


_request = threading.local()


def assume_role_with_saml(self, role_arn, principal_arn, saml_assertion, **_):
    try:
        raw = base64.b64decode(saml_assertion)
        root = ET.fromstring(raw)
    except Exception:
        raise STSClientError("InvalidIdentityToken", "SAMLAssertion is not base64-encoded XML")
    assertion = root.find("a:Assertion", NS)
    if assertion is None:
        raise STSClientError("InvalidIdentityToken", "no (unencrypted) Assertion in the Response")
    if os.environ.get("MOTO_SAML_VERIFY", "1") == "1":
        account = re.search(r":iam::(\d+):", principal_arn or "")
        _verify_signature(raw, principal_arn, account.group(1) if account else self.account_id, self.partition)
        cond = assertion.find("a:Conditions", NS)
        if cond is not None and cond.get("NotOnOrAfter") and utcnow().replace(
                tzinfo=datetime.timezone.utc) >= _time(cond.get("NotOnOrAfter")):
            raise STSClientError("ExpiredTokenException", "SAML assertion expired")
    attrs = {}
    for at in assertion.iter("{%s}Attribute" % NS["a"]):
        attrs[at.get("Name")] = [v.text or "" for v in at.findall("a:AttributeValue", NS)]
    pairs = [{x.strip() for x in v.split(",")} for v in attrs.get(AWS_ATTR + "Role", [])]
    if {role_arn, principal_arn} not in pairs:
        _deny("Not authorized to perform sts:AssumeRoleWithSAML")
    session_name = (attrs.get(AWS_ATTR + "RoleSessionName") or [None])[0]
    if not session_name:
        raise STSClientError("InvalidIdentityToken", "RoleSessionName attribute missing")
    duration = int(getattr(_request, "duration", None) or 3600)
    if duration < 900 or duration > 43200:
        raise STSClientError("ValidationError", "DurationSeconds must be between 900 and 43200")
    if attrs.get(AWS_ATTR + "SessionDuration"):
        duration = min(duration, int(attrs[AWS_ATTR + "SessionDuration"][0]))
    if os.environ.get("MOTO_CAP_DURATION"):
        duration = min(duration, int(os.environ["MOTO_CAP_DURATION"]))
    return self.assume_role(region_name=self.region_name, role_session_name=session_name, role_arn=role_arn,
                            policy=None, duration=duration, external_id=None)


STSBackend.assume_role_with_saml = assume_role_with_saml

# the query layer does not hand DurationSeconds to the backend: pass it per thread
_orig_response = TokenResponse.assume_role_with_saml


def _response(self):
    _request.duration = self._get_param("DurationSeconds")
    try:
        return _orig_response(self)
    finally:
        _request.duration = None


TokenResponse.assume_role_with_saml = _response


# 3. expired temporary credentials
class S3ExpiredToken(S3ClientError):
    code = 400

    def __init__(self):
        super().__init__("ExpiredToken", "The provided token has expired.")


class QueryExpiredToken(_RESTError):
    code = 403

    def __init__(self):
        super().__init__("ExpiredToken", "The security token included in the request is expired")


_orig_key_init = ac.AssumedRoleAccessKey.__init__


def _key_init(self, account_id, partition, access_key_id, headers):
    for role in sts_backends[account_id][partition].assumed_roles:
        if role.access_key_id == access_key_id and role.expiration <= utcnow():
            raise ac.CreateAccessKeyFailure(reason="ExpiredToken")
    _orig_key_init(self, account_id, partition, access_key_id, headers)


ac.AssumedRoleAccessKey.__init__ = _key_init


def _expired_raiser(orig, exc):
    def _raise(self, reason):
        if reason == "ExpiredToken":
            raise exc()
        return orig(self, reason)
    return _raise


ac.S3IAMRequest._raise_invalid_access_key = _expired_raiser(ac.S3IAMRequest._raise_invalid_access_key, S3ExpiredToken)
ac.IAMRequest._raise_invalid_access_key = _expired_raiser(ac.IAMRequest._raise_invalid_access_key, QueryExpiredToken)

if __name__ == "__main__":
    sys.exit(main())
