"""`configuration/get` and `enterprises/getAll`."""

from __future__ import annotations

from tools.sandbox.context import Ctx
from tools.sandbox.errors import JSON, invalid
from tools.sandbox.ops._common import in_filter, in_interval, page, ts
from tools.sandbox.ops._registry import operation
from tools.sandbox.validation import Obj
from tools.sandbox.world import (
    CHAIN_ID,
    CHAIN_NAME,
    ENTERPRISE_UK,
    PORTFOLIO_ENTERPRISE,
    Enterprise,
)

__all__ = ["render_enterprise"]


def render_enterprise(enterprise: Enterprise) -> JSON:
    return {
        "Id": enterprise.id,
        "ExternalIdentifier": enterprise.external_identifier,
        "HoldingKey": enterprise.holding_key,
        "ChainId": CHAIN_ID,
        "ChainName": CHAIN_NAME,
        "CreatedUtc": ts(enterprise.created),
        "UpdatedUtc": ts(enterprise.updated),
        "Name": enterprise.name,
        "ShortName": enterprise.short_name,
        "TimeZoneIdentifier": enterprise.time_zone,
        "LegalEnvironmentCode": enterprise.legal_environment,
        "AccommodationEnvironmentCode": None,
        "AccountingEnvironmentCode": None,
        "TaxEnvironmentCode": enterprise.tax_environment,
        "DefaultLanguageCode": "en-GB" if enterprise.legal_environment == "UK" else "en-US",
        "EditableHistoryInterval": "P0M7DT0H0M0S",
        "AccountingEditableHistoryInterval": "P0M7DT0H0M0S",
        "OperationalEditableHistoryInterval": "P0M5DT0H0M0S",
        "BusinessDayClosingOffset": None,
        "WebsiteUrl": enterprise.website,
        "Email": enterprise.email,
        "Phone": enterprise.phone,
        "LogoImageId": None,
        "CoverImageId": None,
        "Pricing": enterprise.pricing,
        "TaxPrecision": 2,
        "AddressId": enterprise.address["Id"],
        "Address": dict(enterprise.address),
        "GroupNames": list(enterprise.group_names),
        "Subscription": {"TaxIdentifier": enterprise.tax_identifier},
    }


def _configuration_enterprise(enterprise: Enterprise, portfolio: bool) -> JSON:
    body = render_enterprise(enterprise)
    body["Currencies"] = [
        {"Currency": currency, "IsDefault": currency == enterprise.currency, "IsEnabled": True}
        for currency in enterprise.currencies
    ]
    body["AccountingConfiguration"] = {
        "AdditionalTaxIdentifier": None,
        "CompanyName": enterprise.company_name,
        "BankAccountNumber": "12345678",
        "BankName": "Example Bank",
        "Iban": "GB33BUKB20201555555555",
        "Bic": "BUKBGB22",
        "SurchargeConfiguration": None,
        "EnabledExternalPaymentTypes": ["Invoice", "Cash", "GiftCard"],
        "Options": [],
    }
    body["IsPortfolio"] = portfolio
    if portfolio:
        body.update(
            Id=PORTFOLIO_ENTERPRISE, Name=f"{CHAIN_NAME} (portfolio)", ShortName="Portfolio"
        )
        body["ExternalIdentifier"] = None
    return body


@operation("configuration/get")
def configuration_get(ctx: Ctx, q: Obj) -> JSON:
    """The enterprise of the token (or `EnterpriseId`, or the portfolio's dummy enterprise)."""
    portfolio = False
    enterprise_id = ctx.integration.enterprise_id
    if ctx.portfolio:
        requested = q.guid("EnterpriseId")
        if requested is None:
            enterprise_id, portfolio = ENTERPRISE_UK, True
        elif requested not in ctx.integration.enterprise_ids:
            raise invalid(
                "EnterpriseId", f"enterprise {requested} is not accessible with this token."
            )
        else:
            enterprise_id = requested
    enterprise = ctx.world.enterprises[enterprise_id]
    return {
        "NowUtc": ts(ctx.now),
        "Enterprise": _configuration_enterprise(enterprise, portfolio),
        "Service": None,
        "PaymentCardStorage": None,
        "IsIdentityDocumentNumberRequired": False,
    }


@operation("enterprises/getAll", page_key="Enterprises")
def enterprises_get_all(ctx: Ctx, q: Obj) -> JSON:
    scope = ctx.enterprises(q)
    external = q.strs("ExternalIdentifiers")
    linked = q.interval("LinkedUtc")
    updated = q.interval("UpdatedUtc")
    rows = [
        e
        for e in ctx.world.enterprises.values()
        if e.id in scope
        and in_filter(external, e.external_identifier)
        and in_interval(linked, e.linked)
        and in_interval(updated, e.updated)
    ]

    items, cursor = page(q, rows, ctx.world.enterprises.get)
    result = []
    for enterprise in items:
        body = render_enterprise(enterprise)
        body["LinkedUtc"] = ts(enterprise.linked)
        result.append(body)
    return {"Enterprises": result, "Cursor": cursor}
