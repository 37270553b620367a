"""Every Great Expectations suite of the project, keyed by the asset it validates: the raw
tables' contract suites and each mart domain's suites. Checks, `revops validate` and the
tests all read this one list."""

from orchestration.checks.suites import MART_SUITES, RAW_SUITES
from orchestration.checks.suites_cohort import COHORT_SUITES
from orchestration.checks.suites_kpis import KPIS_SUITES
from orchestration.checks.suites_marketing import MARKETING_SUITES
from orchestration.checks.suites_playbooks import PLAYBOOKS_SUITES
from orchestration.checks.suites_semantic import SEMANTIC_SUITES
from orchestration.checks.suites_success import SUCCESS_SUITES
from revops.quality import Suite

ALL_SUITES: dict[tuple[str, ...], Suite] = {
    **RAW_SUITES,
    **MART_SUITES,
    **MARKETING_SUITES,
    **SUCCESS_SUITES,
    **PLAYBOOKS_SUITES,
    **SEMANTIC_SUITES,
    **KPIS_SUITES,
    **COHORT_SUITES,
}
