"""provcheck: check an object against the registers of stolen and missing cultural property.

provcheck is not a register. It holds no list of stolen objects of its own: it asks the registers,
compares what they return with the object in hand, and keeps a record of what it asked, whom,
when, and what came back. Absence from every register shows diligence, never that an object is
clean.

    import provcheck

    report = provcheck.check({"title": "Acorn", "maker": "Tiffany", "period": "1906"})
    print(report.conclusion)       # possible-match | no-match-found | incomplete
    for outcome in report.outcomes:
        print(outcome.registry, outcome.state, outcome.error)
"""

import importlib as _importlib
import typing as _typing

from provcheck._version import (
    __version__,
)
from provcheck.errors import (
    AuthenticationError,
    ConfigurationError,
    InputError,
    InvalidQueryError,
    MalformedResponseError,
    PaymentRequiredError,
    PluginLoadError,
    ProvcheckError,
    QueryNotSupported,
    RateLimitedError,
    ReferralRequired,
    RegistryError,
    RegistryNotFoundError,
    RegistryTimeoutError,
    RegistryUnavailableError,
    RejectedQueryError,
    SearchPending,
)
from provcheck.model.display import install_html_renderer as _install_html_renderer

if _typing.TYPE_CHECKING:
    from provcheck.batch import (
        BatchItem,
        BatchSummary,
        read_catalogue,
        run_batch,
    )
    from provcheck.cases import (
        CaseFile,
    )
    from provcheck.collection.alerts import (
        AlertRead,
        read_alert,
        read_alert_file,
    )
    from provcheck.collection.losses import (
        LossOutcome,
        areport_loss,
        record_loss_answer,
        report_loss,
    )
    from provcheck.collection.records import (
        ListedRecord,
        OwnRecords,
    )
    from provcheck.engine import (
        QueryLike,
        RegistriesLike,
        acheck,
        aresume,
        check,
        resume,
    )
    from provcheck.images.fingerprints import (
        fingerprinted,
    )
    from provcheck.images.verification import (
        REGISTER_FILLING,
        LocalFeatures,
        local_features,
    )
    from provcheck.matching.matcher import (
        Matcher,
    )
    from provcheck.model.candidate import (
        Band,
        Candidate,
        Evidence,
        PhotographRegion,
    )
    from provcheck.model.case import (
        CaseEntry,
        CaseVerification,
    )
    from provcheck.model.description import (
        ImageLike,
        ImageRef,
        ObjectDescription,
    )
    from provcheck.model.loss import (
        LossReport,
        LossSubmission,
        PreparedDocument,
        SubmissionState,
    )
    from provcheck.model.outcome import (
        OutcomeError,
        OutcomeState,
        PendingSearch,
        Referral,
        RegistryOutcome,
    )
    from provcheck.model.record import (
        Record,
        RecordStatus,
    )
    from provcheck.model.report import (
        CheckReport,
        Conclusion,
        Limitation,
    )
    from provcheck.registers.discovery import (
        installed_registries,
        open_registry,
        registry_class,
    )
    from provcheck.registers.registry import (
        Access,
        Capabilities,
        DataSource,
        Registry,
        RegistrySettings,
        SearchResult,
        collect_records,
    )
    from provcheck.reports.card import (
        CardPhoto,
        missing_for_identification,
        render_card_html,
        render_card_pdf,
    )
    from provcheck.reports.signing import (
        ReportVerification,
        Signature,
        SigningKey,
        sign_report,
        verify_report,
    )
    from provcheck.store.importing import (
        CsvMapping,
        ImportProblem,
        ImportSummary,
        import_file,
        load_mapping,
    )
    from provcheck.store.local_register import (
        LocalRegistry,
        LocalSettings,
    )
    from provcheck.store.mirror_search import (
        mirror_image_features,
        search_mirror,
        search_mirror_and_live,
    )
    from provcheck.store.mirroring import (
        MirrorSummary,
        mirror,
    )
    from provcheck.store.sqlite import (
        LocalStore,
        MirrorState,
    )
    from provcheck.text.makers import (
        AttributionQualifier,
        Maker,
        parse_makers,
    )
    from provcheck.text.measurements import (
        Dimension,
        Measurement,
        Unit,
        parse_measurements,
    )
    from provcheck.text.periods import (
        DatePeriod,
        parse_period,
    )

__all__ = [
    "REGISTER_FILLING",
    "Access",
    "AlertRead",
    "AttributionQualifier",
    "AuthenticationError",
    "Band",
    "BatchItem",
    "BatchSummary",
    "Candidate",
    "Capabilities",
    "CardPhoto",
    "CaseEntry",
    "CaseFile",
    "CaseVerification",
    "CheckReport",
    "Conclusion",
    "ConfigurationError",
    "CsvMapping",
    "DataSource",
    "DatePeriod",
    "Dimension",
    "Evidence",
    "ImageLike",
    "ImageRef",
    "ImportProblem",
    "ImportSummary",
    "InputError",
    "InvalidQueryError",
    "Limitation",
    "ListedRecord",
    "LocalFeatures",
    "LocalRegistry",
    "LocalSettings",
    "LocalStore",
    "LossOutcome",
    "LossReport",
    "LossSubmission",
    "Maker",
    "MalformedResponseError",
    "Matcher",
    "Measurement",
    "MirrorState",
    "MirrorSummary",
    "ObjectDescription",
    "OutcomeError",
    "OutcomeState",
    "OwnRecords",
    "PaymentRequiredError",
    "PendingSearch",
    "PhotographRegion",
    "PluginLoadError",
    "PreparedDocument",
    "ProvcheckError",
    "QueryLike",
    "QueryNotSupported",
    "RateLimitedError",
    "Record",
    "RecordStatus",
    "Referral",
    "ReferralRequired",
    "RegistriesLike",
    "Registry",
    "RegistryError",
    "RegistryNotFoundError",
    "RegistryOutcome",
    "RegistrySettings",
    "RegistryTimeoutError",
    "RegistryUnavailableError",
    "RejectedQueryError",
    "ReportVerification",
    "SearchPending",
    "SearchResult",
    "Signature",
    "SigningKey",
    "SubmissionState",
    "Unit",
    "__version__",
    "acheck",
    "areport_loss",
    "aresume",
    "check",
    "collect_records",
    "fingerprinted",
    "import_file",
    "installed_registries",
    "load_mapping",
    "local_features",
    "mirror",
    "mirror_image_features",
    "missing_for_identification",
    "open_registry",
    "parse_makers",
    "parse_measurements",
    "parse_period",
    "read_alert",
    "read_alert_file",
    "read_catalogue",
    "record_loss_answer",
    "registry_class",
    "render_card_html",
    "render_card_pdf",
    "report_loss",
    "resume",
    "run_batch",
    "search_mirror",
    "search_mirror_and_live",
    "sign_report",
    "verify_report",
]

# The rest of the public API is imported when first used, so that `import provcheck` (and any
# part of it: the model, say) loads only what it needs, not every layer and its dependencies.
_LAZY: dict[str, tuple[str, ...]] = {
    "provcheck.batch": (
        "BatchItem",
        "BatchSummary",
        "read_catalogue",
        "run_batch",
    ),
    "provcheck.cases": ("CaseFile",),
    "provcheck.collection.records": ("ListedRecord", "OwnRecords"),
    "provcheck.collection.losses": (
        "LossOutcome",
        "areport_loss",
        "record_loss_answer",
        "report_loss",
    ),
    "provcheck.collection.alerts": ("AlertRead", "read_alert", "read_alert_file"),
    "provcheck.reports.card": (
        "CardPhoto",
        "missing_for_identification",
        "render_card_html",
        "render_card_pdf",
    ),
    "provcheck.engine": (
        "QueryLike",
        "RegistriesLike",
        "acheck",
        "aresume",
        "check",
        "resume",
    ),
    "provcheck.images.fingerprints": ("fingerprinted",),
    "provcheck.images.verification": (
        "LocalFeatures",
        "REGISTER_FILLING",
        "local_features",
    ),
    "provcheck.matching.matcher": ("Matcher",),
    "provcheck.model.candidate": (
        "Band",
        "Candidate",
        "Evidence",
        "PhotographRegion",
    ),
    "provcheck.model.case": (
        "CaseEntry",
        "CaseVerification",
    ),
    "provcheck.model.description": (
        "ImageLike",
        "ImageRef",
        "ObjectDescription",
    ),
    "provcheck.model.loss": ("LossReport", "LossSubmission", "PreparedDocument", "SubmissionState"),
    "provcheck.model.outcome": (
        "OutcomeError",
        "OutcomeState",
        "PendingSearch",
        "Referral",
        "RegistryOutcome",
    ),
    "provcheck.model.record": (
        "Record",
        "RecordStatus",
    ),
    "provcheck.model.report": (
        "CheckReport",
        "Conclusion",
        "Limitation",
    ),
    "provcheck.registers.discovery": (
        "installed_registries",
        "open_registry",
        "registry_class",
    ),
    "provcheck.registers.registry": (
        "Access",
        "Capabilities",
        "DataSource",
        "Registry",
        "RegistrySettings",
        "SearchResult",
        "collect_records",
    ),
    "provcheck.reports.signing": (
        "ReportVerification",
        "Signature",
        "SigningKey",
        "sign_report",
        "verify_report",
    ),
    "provcheck.store.importing": (
        "CsvMapping",
        "ImportProblem",
        "ImportSummary",
        "import_file",
        "load_mapping",
    ),
    "provcheck.store.local_register": (
        "LocalRegistry",
        "LocalSettings",
    ),
    "provcheck.store.mirror_search": (
        "mirror_image_features",
        "search_mirror",
        "search_mirror_and_live",
    ),
    "provcheck.store.mirroring": (
        "MirrorSummary",
        "mirror",
    ),
    "provcheck.store.sqlite": (
        "LocalStore",
        "MirrorState",
    ),
    "provcheck.text.makers": (
        "AttributionQualifier",
        "Maker",
        "parse_makers",
    ),
    "provcheck.text.measurements": (
        "Dimension",
        "Measurement",
        "Unit",
        "parse_measurements",
    ),
    "provcheck.text.periods": (
        "DatePeriod",
        "parse_period",
    ),
}
_MODULE_OF = {name: module for module, names in _LAZY.items() for name in names}


def __getattr__(name: str) -> _typing.Any:
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module 'provcheck' has no attribute {name!r}")
    value = getattr(_importlib.import_module(module), name)
    globals()[name] = value  # once is enough
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_MODULE_OF})


def _show_as_html(item: object, fragment: bool) -> str:
    # The composition root: the model shows itself as HTML (`CheckReport.to_html()`, notebooks)
    # through the reports layer, with photographs from the local store; neither knows the other.
    from provcheck.reports.html import render_html
    from provcheck.store.local_register import local_copies

    return render_html(item, fragment=fragment, images=local_copies())


_install_html_renderer(_show_as_html)
