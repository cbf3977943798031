"""Creates the AWS side of ptsaml's end-to-end tests in a fresh moto server:
roles TrainRole (s3:*) and ReadOnlyRole (read only), the SAML provider TestIdP
from the IdP's metadata file, and the bucket ptsaml-data.

Usage: python3 moto_setup.py ENDPOINT METADATA_FILE
"""
import json
import sys

import boto3

ACCOUNT = "123456789012"
ROLES = {
    "TrainRole": ["s3:*", "sts:GetCallerIdentity"],
    "ReadOnlyRole": ["s3:GetObject", "s3:ListBucket", "sts:GetCallerIdentity"],
}


def main(endpoint, metadata_file):
    session = boto3.Session(aws_access_key_id="AKIASETUP00000000000", aws_secret_access_key="setup",
                            region_name="us-east-1")
    iam = session.client("iam", endpoint_url=endpoint)
    trust = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Action": "sts:AssumeRoleWithSAML",
        "Principal": {"Federated": "arn:aws:iam::%s:saml-provider/TestIdP" % ACCOUNT}}]}
    for name, actions in ROLES.items():
        iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust), MaxSessionDuration=43200)
        iam.put_role_policy(RoleName=name, PolicyName="access", PolicyDocument=json.dumps({
            "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": actions, "Resource": "*"}]}))
    with open(metadata_file) as f:
        iam.create_saml_provider(SAMLMetadataDocument=f.read(), Name="TestIdP")
    session.client("s3", endpoint_url=endpoint).create_bucket(Bucket="ptsaml-data")


if __name__ == "__main__":
    main(*sys.argv[1:])
