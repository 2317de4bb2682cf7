"""What applied policies demand, and how the enforced ones add up (CONTRACTS §3).

Grant controls: each policy's controls are one inner list of alternatives for ``OR``, or one inner list per
control for ``AND``; block wins; the outer list is sorted without duplicates. Session controls of the
enforced applied policies merge to the most restrictive (Learn, session lifetime): sign-in frequency every
time beats any interval, a shorter interval beats a longer one; a never-persistent browser beats
always-persistent; application enforced restrictions, Defender for Cloud Apps, disabled resilience
defaults and the secure sign-in session apply if any policy sets them; continuous access evaluation is
``disabled`` if any policy disables it, else strict location enforcement if any asks for it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from ztconsole.model.ca import ConditionalAccessGrantControls, ConditionalAccessSessionControls, SessionControl

__all__ = ["Requirements", "policy_requirements", "outcome", "policy_session", "merge_sessions"]

#: CONTRACTS §3 ``requirements``: the conjunction of inner lists, each a policy's alternatives
Requirements = tuple[tuple[str, ...], ...]


def policy_requirements(grant: ConditionalAccessGrantControls | None) -> Requirements:
    """A policy's grant controls as CONTRACTS §3 inner lists: ``OR`` one list of alternatives, ``AND`` one
    list per control; ``block`` is not a requirement (see ``blocks``). Without an operator, several
    controls are all required (the admin center's "Require all the selected controls")."""
    if grant is None:
        return ()
    names = sorted({n for n in grant.control_names if n not in ("block", "unknownFutureValue")})
    if not names:
        return ()
    if grant.operator == "OR" or len(names) == 1:
        return (tuple(names),)
    return tuple((n,) for n in names)


def outcome(blocks: bool, requirements: Iterable[tuple[str, ...]]) -> tuple[str, Requirements]:
    """The decision and the combined requirements of the enforced policies that apply: ``block`` when one
    blocks, ``controls`` when they demand anything, else ``allow``."""
    combined = tuple(sorted(set(requirements)))
    return ("block" if blocks else "controls" if combined else "allow"), combined


def _frequency_seconds(sif: Mapping[str, Any]) -> int:
    if sif.get("frequencyInterval") == "everyTime":
        return 0
    unit = 86400 if sif.get("type") == "days" else 3600
    return int(sif.get("value") or 0) * unit


def _switched_on(control: SessionControl | None) -> bool:
    """A session control that is on only when it says so (``isEnabled: true``)."""
    return control is not None and control.is_enabled is True


def policy_session(sc: ConditionalAccessSessionControls | None) -> dict[str, Any]:
    """A policy's session controls in the shape of the summary's ``session`` (only those it switches on)."""
    out: dict[str, Any] = {}
    if sc is None:
        return out
    sif = sc.sign_in_frequency
    if sif is not None and sif.is_enabled is not False:
        auth = sif.authentication_type or "primaryAndSecondaryAuthentication"
        if sif.frequency_interval == "everyTime":
            out["signInFrequency"] = {"frequencyInterval": "everyTime", "authenticationType": auth}
        elif sif.value:
            out["signInFrequency"] = {"frequencyInterval": "timeBased", "value": sif.value,
                                      "type": sif.type or "hours", "authenticationType": auth}
    pb = sc.persistent_browser
    if pb is not None and pb.is_enabled is not False and pb.mode in ("always", "never"):
        out["persistentBrowser"] = pb.mode
    if _switched_on(sc.application_enforced_restrictions):
        out["applicationEnforcedRestrictions"] = True
    cas = sc.cloud_app_security
    if cas is not None and cas.is_enabled is not False and cas.cloud_app_security_type:
        out["cloudAppSecurity"] = [cas.cloud_app_security_type]
    if sc.cae_mode and sc.cae_mode != "unknownFutureValue":
        out["continuousAccessEvaluation"] = sc.cae_mode
    if sc.disable_resilience_defaults is True:
        out["disableResilienceDefaults"] = True
    if _switched_on(sc.secure_sign_in_session):
        out["secureSignInSession"] = True
    gsa = sc.global_secure_access_filtering_profile
    if gsa is not None and gsa.is_enabled is not False and gsa.profile_id:
        out["globalSecureAccessFilteringProfile"] = [gsa.profile_id]
    return out


_CAE_ORDER = ("disabled", "strictLocation", "strictEnforcement")


def merge_sessions(sessions: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """The session controls of several applied policies combined as Entra combines them: most restrictive."""
    out: dict[str, Any] = {}
    for s in sessions:
        sif = s.get("signInFrequency")
        if sif is not None:
            cur = out.get("signInFrequency")
            key = (_frequency_seconds(sif), sif.get("authenticationType") != "primaryAndSecondaryAuthentication")
            if cur is None or key < (_frequency_seconds(cur),
                                     cur.get("authenticationType") != "primaryAndSecondaryAuthentication"):
                out["signInFrequency"] = dict(sif)
        pb = s.get("persistentBrowser")
        if pb is not None and out.get("persistentBrowser") != "never":
            out["persistentBrowser"] = pb
        for flag in ("applicationEnforcedRestrictions", "disableResilienceDefaults", "secureSignInSession"):
            if s.get(flag):
                out[flag] = True
        for many in ("cloudAppSecurity", "globalSecureAccessFilteringProfile"):
            if s.get(many):
                out[many] = sorted(set(out.get(many, ())) | set(s[many]))
        cae = s.get("continuousAccessEvaluation")
        if cae is not None:
            cur = out.get("continuousAccessEvaluation")
            rank = {m: i for i, m in enumerate(_CAE_ORDER)}
            if cur is None or rank.get(cae, len(_CAE_ORDER)) < rank.get(cur, len(_CAE_ORDER)):
                out["continuousAccessEvaluation"] = cae
    return out
