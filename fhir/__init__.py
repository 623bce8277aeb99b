"""The FHIR R4 interface: read-only access for the systems around the clinic (EHRs, imaging
centres, surgeons' offices), one client per system, scoped to locations.

The `fhir.resources` distribution (a dev dependency: the suite validates our resources with its
models) also installs a top-level `fhir` package. Extending this package's path the pkgutil way
lets both live under one name: our modules here, `fhir.resources` from site-packages.
"""

import pkgutil

__path__ = pkgutil.extend_path(__path__, __name__)
