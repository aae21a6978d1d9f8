"""The `app-vision` command.

    app-vision run [-cd DIR] [-cf FILE] [-cc FILE] [-r] [-cp [URL]] [-o]   the EdgeX service
    app-vision demo [same flags]           run with the memory bus and the simulated devices
    app-vision config check [same flags]   print the merged configuration (secrets redacted) or errors
    app-vision config schema               JSON schema of the configuration (for editors)
    app-vision models fetch [...]          download and convert the bundled models
    app-vision detect [--model NAME] IMAGE...   run a model on image files
    app-vision users add NAME [--password-stdin] [flags]   a local account (access control)

Exit codes: 0 success, 1 runtime failure, 2 invalid configuration or usage.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

import yaml

from service.config import (
    DEMO_OVERLAY,
    Bootstrap,
    Config,
    ConfigError,
    LoadedConfig,
    LoadOptions,
    load_config,
)

log = logging.getLogger("service")

DEFAULT_CONFIG_PROVIDER = "keeper.http://localhost:59890"
_LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def _add_edgex_flags(parser: argparse.ArgumentParser) -> None:
    """EdgeX's standard flags (go-mod-bootstrap flags.go); EDGEX_* variables override them."""
    parser.add_argument("-cd", "--configDir", dest="config_dir", help="configuration directory (./res)")
    parser.add_argument("-cf", "--configFile", dest="config_file", help="configuration file name")
    parser.add_argument("-cc", "--commonConfig", dest="common_config", help="common configuration file")
    parser.add_argument("-r", "--registry", dest="registry", action="store_true", help="use the registry")
    parser.add_argument(
        "-cp",
        "--configProvider",
        dest="config_provider",
        nargs="?",
        const=DEFAULT_CONFIG_PROVIDER,
        help=f"configuration provider URL ({DEFAULT_CONFIG_PROVIDER} when given without a value)",
    )
    parser.add_argument(
        "-o",
        "--overwrite",
        dest="overwrite",
        action="store_true",
        help="push the configuration file into the provider even when it already holds one",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="app-vision", description="EdgeX application service: vision.")
    commands = parser.add_subparsers(dest="command", required=True)
    _add_edgex_flags(commands.add_parser("run", help="run the service"))
    _add_edgex_flags(commands.add_parser("demo", help="run with the memory bus and simulated devices"))
    config = commands.add_parser("config", help="configuration tools")
    config_commands = config.add_subparsers(dest="config_command", required=True)
    _add_edgex_flags(config_commands.add_parser("check", help="print the merged configuration or its errors"))
    config_commands.add_parser("schema", help="print the configuration's JSON schema")
    models = commands.add_parser("models", help="model files")
    models_commands = models.add_subparsers(dest="models_command", required=True)
    models_commands.add_parser("fetch", help="download and convert the bundled models", add_help=False)
    commands.add_parser("detect", help="run a model on image files", add_help=False)
    users = commands.add_parser("users", help="local accounts of the page and REST (access control)")
    users_add = users.add_subparsers(dest="users_command", required=True).add_parser(
        "add", help="add an account or set its password (asked twice, or --password-stdin)"
    )
    users_add.add_argument("name", help="user name (letters, digits, . _ @ -)")
    users_add.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    _add_edgex_flags(users_add)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    delegated = _delegated(args_list)
    if delegated is not None:
        return delegated
    args = build_parser().parse_args(args_list)
    logging.basicConfig(level=logging.INFO, format=_LOG_FORMAT, stream=sys.stderr)
    if args.command == "config" and args.config_command == "schema":
        print(json.dumps(Config.model_json_schema(by_alias=True), indent=2))
        return 0
    overlay = DEMO_OVERLAY if args.command == "demo" else None
    environ = dict(os.environ)
    if args.command in ("demo", "users"):  # no secret store: insecure unless asked
        environ.setdefault("EDGEX_SECURITY_SECRET_STORE", "false")
    loaded = _load(args, environ, overlay)
    if loaded is None:
        return 2
    if args.command == "config":
        print(_describe(loaded), end="")
        return 0
    if args.command == "users":
        from service.access.cli import cmd_users_add

        custom = loaded.config.AppCustom
        return cmd_users_add(custom.Access, Path(custom.Pipeline.StateDir), args.name, args.password_stdin)
    from service.app import run  # the heavy imports (bus clients, FastAPI) only when serving
    from service.edgex.secretstore import SecretStoreError
    from service.pipeline.errors import OutboxError, PipelineConfigError, StateStoreError
    from service.simulator import SimulatorError
    from service.vision.errors import ModelConfigError, ModelLoadError

    try:
        return run(loaded, environ)
    except ConfigError as exc:  # found while building parts (e.g. a missing bus secret)
        _report(exc)
        return 2
    except (
        ModelLoadError,
        ModelConfigError,
        PipelineConfigError,
        OutboxError,
        StateStoreError,
        SimulatorError,
        SecretStoreError,  # secure mode: the token file, the store, the message-bus secret
    ) as exc:
        print(f"app-vision: cannot start: {exc}", file=sys.stderr)
        return 2


def _delegated(argv: list[str]) -> int | None:
    """`models fetch ...` and `detect ...` belong to service.vision.cli, which parses its own flags."""
    if argv[:2] == ["models", "fetch"]:
        from service.vision.cli import cmd_models_fetch

        return cmd_models_fetch(argv[2:])
    if argv[:1] == ["detect"]:
        from service.vision.cli import cmd_detect

        return cmd_detect(argv[1:])
    return None


def _load(
    args: argparse.Namespace, environ: Mapping[str, str], overlay: Mapping[str, object] | None
) -> LoadedConfig[Config] | None:
    """The configuration, or None after printing every problem to stderr."""
    options = LoadOptions(
        config_dir=args.config_dir,
        config_file=args.config_file,
        common_config=args.common_config,
        use_registry=args.registry,
        config_provider=args.config_provider,
        overlay=overlay,
        overwrite_config=args.overwrite,
    )
    try:
        return load_config(Config, options, environ)
    except ConfigError as exc:
        _report(exc)
        return None


def _report(exc: ConfigError) -> None:
    print(f"app-vision: configuration is invalid ({len(exc.issues)} problem(s)):", file=sys.stderr)
    for issue in exc.issues:
        print(f"  {issue}", file=sys.stderr)


def _describe(loaded: LoadedConfig[Config]) -> str:
    """`config check` output: where the configuration came from, then the merged YAML (redacted)."""
    boot = loaded.bootstrap
    lines = [
        f"# configuration file: {boot.config_file or '(none: built-in defaults)'}",
        f"# common configuration: {boot.common_config or '(none)'}",
        f"# registry: {'on' if boot.use_registry else 'off'}",
        f"# config provider: {boot.config_provider or 'none'}",
        f"# configuration source: {boot.config_source}",
        f"# security: {_security_line(boot)}",
    ]
    lines += [f"# override: {o.variable} -> {o.dotted}" for o in boot.env_overrides]
    body = yaml.safe_dump(loaded.redacted(), sort_keys=False, allow_unicode=True)
    return "\n".join(lines) + "\n" + body


def _security_line(boot: Bootstrap) -> str:
    mode = boot.security
    if not mode.secure:
        return "insecure (EDGEX_SECURITY_SECRET_STORE=false: Writable.InsecureSecrets)"
    return f"secure (secret store {mode.store.base_url}, token file {mode.store.token_file})"


if __name__ == "__main__":
    sys.exit(main())
