"""vmcp's `operational` section (OperationalConfig of vmcp v0.63.0), typed and checked as vmcp does.

vmcp fills every zero field from `DefaultOperationalConfig()` (defaults.go, with mergo) before it
validates, so the rules here judge the effective value: `unhealthyThreshold: 0` is 3 and
passes, `-1` is refused. Durations are Go durations (`go_values`), kept as written.
"""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import Field, model_validator

from vmcp_components.core.settings.go_values import (
    SECOND,
    GoBool,
    GoDuration,
    GoInt,
    GoString,
    format_duration,
    parse_duration,
)
from vmcp_components.core.settings.vmcp_sections import VmcpSection, one_of, refuse

DEFAULT_OPERATIONAL: dict[str, Any] = {
    "timeouts": {"default": "30s"},
    "failureHandling": {
        "healthCheckInterval": "30s",
        "unhealthyThreshold": 3,
        "statusReportingInterval": "30s",
        "partialFailureMode": "fail",
        "circuitBreaker": {"failureThreshold": 5, "timeout": "1m0s"},
    },
}
"""vmcp's `DefaultOperationalConfig()`, as the operator writes it (circuit breaker off)."""
PARTIAL_FAILURE_MODES = ("fail", "best_effort")


def _nanoseconds(value: str | None, default: str | None = None) -> int:
    """A duration's effective value: zero or unset takes vmcp's default (as mergo does)."""
    given = parse_duration(value) if value else 0
    return parse_duration(default) if given == 0 and default else given


class CircuitBreakerConfig(VmcpSection):
    """Circuit breaker of `failureHandling` (off unless `enabled`)."""

    go_type: ClassVar[str] = "config.CircuitBreakerConfig"

    enabled: GoBool | None = None
    failure_threshold: GoInt | None = Field(default=None, alias="failureThreshold")
    timeout: GoDuration | None = None


class ListChangedConfig(VmcpSection):
    """Which backends vmcp subscribes to for list_changed notifications."""

    go_type: ClassVar[str] = "config.ListChangedConfig"

    enabled: GoBool | None = None
    disabled_workloads: list[GoString] | None = Field(default=None, alias="disabledWorkloads")


class TimeoutConfig(VmcpSection):
    """Backend request timeouts: `default`, `perWorkload`, `backendInit`."""

    go_type: ClassVar[str] = "config.TimeoutConfig"

    default: GoDuration | None = None
    per_workload: dict[str, GoDuration] | None = Field(default=None, alias="perWorkload")
    backend_init: GoDuration | None = Field(default=None, alias="backendInit")


class FailureHandlingConfig(VmcpSection):
    """Health checks, partial failures and the circuit breaker."""

    go_type: ClassVar[str] = "config.FailureHandlingConfig"

    health_check_interval: GoDuration | None = Field(default=None, alias="healthCheckInterval")
    unhealthy_threshold: GoInt | None = Field(default=None, alias="unhealthyThreshold")
    health_check_timeout: GoDuration | None = Field(default=None, alias="healthCheckTimeout")
    status_reporting_interval: GoDuration | None = Field(
        default=None, alias="statusReportingInterval"
    )
    partial_failure_mode: GoString | None = Field(default=None, alias="partialFailureMode")
    circuit_breaker: CircuitBreakerConfig | None = Field(default=None, alias="circuitBreaker")

    def problem(self) -> str | None:  # validator.go validateFailureHandling, in its order
        """The first rule vmcp would find broken (checked by `Operational`, as vmcp does)."""
        defaults = DEFAULT_OPERATIONAL["failureHandling"]
        interval = _nanoseconds(self.health_check_interval, defaults["healthCheckInterval"])
        if interval <= 0:
            return (
                "healthCheckInterval must be positive; use a duration such as 30s (or leave it "
                "out: 30s)"
            )
        if (self.unhealthy_threshold or defaults["unhealthyThreshold"]) <= 0:
            return (
                "unhealthyThreshold must be positive; use a count of 1 or more (or leave it out: 3)"
            )
        timeout = _nanoseconds(self.health_check_timeout)
        if timeout < 0:
            return (
                "healthCheckTimeout must be >= 0 (zero means no timeout), got "
                f"{format_duration(timeout)}; use a duration shorter than healthCheckInterval"
            )
        if 0 < interval <= timeout:
            return (
                f"healthCheckTimeout ({format_duration(timeout)}) must be less than "
                f"healthCheckInterval ({format_duration(interval)}) to prevent checks from "
                "queuing up; shorten the timeout or lengthen the interval"
            )
        mode = self.partial_failure_mode or defaults["partialFailureMode"]
        if mode not in PARTIAL_FAILURE_MODES:
            return one_of("partialFailureMode", mode, PARTIAL_FAILURE_MODES)
        breaker = self.circuit_breaker
        if breaker is not None and breaker.enabled:
            breaker_defaults = defaults["circuitBreaker"]
            threshold = breaker.failure_threshold or breaker_defaults["failureThreshold"]
            if threshold < 1:
                return (
                    f"circuitBreaker.failureThreshold must be >= 1, got {threshold}; use 1 or "
                    "more (or leave it out: 5)"
                )
            breaker_timeout = _nanoseconds(breaker.timeout, breaker_defaults["timeout"])
            if breaker_timeout <= 0:
                return (
                    f"circuitBreaker.timeout must be > 0, got {format_duration(breaker_timeout)}; "
                    "use 1s or more (or leave it out: 1m0s)"
                )
            if breaker_timeout < SECOND:
                return (
                    "circuitBreaker.timeout must be >= 1s to prevent thrashing, got "
                    f"{format_duration(breaker_timeout)}; use 1s or more"
                )
        return None


class Operational(VmcpSection):
    """vmcp's `operational` (OperationalConfig); unset fields take vmcp's defaults."""

    go_type: ClassVar[str] = "config.OperationalConfig"

    log_level: GoString | None = Field(default=None, alias="logLevel")
    timeouts: TimeoutConfig | None = None
    failure_handling: FailureHandlingConfig | None = Field(default=None, alias="failureHandling")
    list_changed: ListChangedConfig | None = Field(default=None, alias="listChanged")

    @model_validator(mode="after")
    def _vmcp_rules(self) -> Operational:
        problem = self._problem()
        if problem:
            raise refuse(problem)
        return self

    def _problem(self) -> str | None:  # validator.go validateOperational, in its order
        timeouts = self.timeouts
        if timeouts is not None:
            if _nanoseconds(timeouts.default, DEFAULT_OPERATIONAL["timeouts"]["default"]) <= 0:
                return (
                    "timeouts.default must be positive; use a duration such as 30s (or leave it "
                    "out: 30s)"
                )
            bad = [
                workload
                for workload, value in (timeouts.per_workload or {}).items()
                if _nanoseconds(value) <= 0
            ]
            if bad:  # vmcp names one of them (Go map order): name them all
                return "; ".join(
                    f"timeouts.perWorkload.{workload} must be positive; use a duration such as "
                    "30s, or drop the entry to use timeouts.default"
                    for workload in bad
                )
        if self.failure_handling is not None:
            problem = self.failure_handling.problem()
            if problem:
                return f"failureHandling: {problem}"
        return None

    @property
    def debug(self) -> bool:
        """`logLevel: debug` (the container then runs with `--debug`, as the operator does)."""
        return self.log_level == "debug"
