"""Model packages: a manifest with the model files, verified, deployed into a running engine and
rolled back (issue 16)."""

from service.vision.packages.archive import UnpackLimits, unpack
from service.vision.packages.manifest import MANIFEST_NAME, Manifest, read_manifest
from service.vision.packages.store import Deployed, PackageStore
from service.vision.packages.verify import sha256_of, verify_package

__all__ = [
    "MANIFEST_NAME",
    "Deployed",
    "Manifest",
    "PackageStore",
    "UnpackLimits",
    "read_manifest",
    "sha256_of",
    "unpack",
    "verify_package",
]
