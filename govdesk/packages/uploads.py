"""Package imports from the admin: upload a file, read the dry run's report, confirm to apply the same file.

The matter catalogue's checked uploads (`govdesk.matters.uploads`) for packages: the bytes are kept server-side under
a random token, the confirmation names the token, and the file is checked again as it is applied. Every check and
every application is audited.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy

from govdesk.matters.uploads import UploadKind

from .models import PackageUpload
from .transfer import PackageImportResult, packages_import

FILE_PERMISSION = "packages.add_packageversion"

PACKAGE_UPLOADS: UploadKind[PackageImportResult] = UploadKind(
    model=PackageUpload,
    run_import=packages_import,
    counted=lambda result: result.packages,
    noun="packages",
    permission=FILE_PERMISSION,
    refusal=gettext_lazy("Only the catalogue administrator imports packages."),
    audit_prefix="package",
    object_type="package_upload",
)
