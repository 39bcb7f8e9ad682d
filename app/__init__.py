"""The composition root: what builds the product for one process, and the `loyalty` command line.

Modules: `cli` (the `loyalty` entry point) and `commands/` (one module per command group),
`runtime` (the `LoyaltyRuntime` of a process on the configured Mews or the embedded sandbox),
`connect` (which Mews: `MEWS_*` or the embedded sandbox, chains, per-hotel tokens), `session`
(the model, the MCP server and the principal of an assistant session), `identity` (who the
command line acts as). Other packages never import `app`; it passes what they need (the web
app's chat server, for one) when it builds them.
"""

__all__: list[str] = []
