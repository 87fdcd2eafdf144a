"""`course-hub`: serve the course hub, build its content, and manage tokens and gated access."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .hubdir import REPO_TYPES, HubDir
from .net import DEFAULT_PORT
from .settings import Settings, default_hub_dir


def _hub(args):
    from .hub import Hub

    return Hub(args.hub_dir)


def cmd_serve(args) -> int:
    from .local import running_server
    from .server import serve

    other = running_server(args.hub_dir)
    if other and other.port == args.port:
        print(f"a course hub already serves {args.hub_dir} at {other.url}", file=sys.stderr)
        return 1
    host = args.host or ("0.0.0.0" if args.classroom else "127.0.0.1")
    run_spaces = tuple(o.strip() for o in args.run_spaces.split(",") if o.strip()) if args.run_spaces else None
    try:
        serve(
            Settings.from_env(
                hub_dir=args.hub_dir,
                classroom=args.classroom,
                root_path=args.root_path,
                run_spaces=run_spaces,
                max_spaces=args.max_spaces,
                flavour="huggingface.co" if args.like_huggingface_co else None,  # None: $COURSE_HUB_FLAVOUR
            ),
            host=host,
            port=args.port,
        )
    except KeyboardInterrupt:  # Ctrl+C, or SIGINT from JupyterHub stopping its service: a normal stop
        pass
    return 0


def cmd_classroom(args) -> int:
    from . import classroom
    from .settings import classroom_max_spaces

    hub = _hub(args)
    if args.classroom_command == "report":
        print(classroom.report(hub))
        return 0
    if not args.count and not args.names:
        print("give a number of learners (e.g. 30) or --names FILE (one name per line)", file=sys.stderr)
        return 2
    names = args.names.read_text().splitlines() if args.names else None
    url = args.url or f"http://{classroom.lan_address()}:{args.port}"
    seats = classroom.create_roster(hub, classroom.learner_names(args.count or 0, names), url)
    sheet = classroom.write_sheet(hub, seats, url)
    print(classroom.token_sheet(seats, url))
    print(
        f"{len(seats)} learners; token sheet saved to {sheet} (and .csv). Start the hub with "
        f"`course-hub serve --classroom --port {args.port}`: at most {classroom_max_spaces()} Spaces run at once "
        "on this machine (from its memory; --max-spaces N to choose), the least recently used sleep."
    )
    return 0


def cmd_token(args) -> int:
    token = _hub(args).accounts.create_token(args.user, role=args.role, name=args.name)
    print(token)
    return 0


def cmd_access(args) -> int:
    hub = _hub(args)
    rec = hub.repo(args.repo_type, args.repo)
    if rec is None:
        print(f"no {args.repo_type} repo {args.repo!r} on this hub", file=sys.stderr)
        return 2
    if not hub.accounts.exists(args.user):
        print(
            f"no user {args.user!r} on this hub (create one with `course-hub token create {args.user}`)",
            file=sys.stderr,
        )
        return 2
    if args.action == "grant":
        hub.access.accept(rec, args.user)
        print(f"{args.user} may now read {rec.id}" + ("" if rec.gated else " (note: the repo is not gated)"))
    else:
        hub.access.revoke(rec, args.user)
        print(f"{args.user} no longer has access to {rec.id}")
    return 0


def cmd_org(args) -> int:
    _hub(args).accounts.add_member(args.org, args.user, args.role)
    print(f"{args.user} is now {args.role} of {args.org}")
    return 0


def cmd_status(args) -> int:
    from .local import running_server

    hub_dir = HubDir(args.hub_dir)
    print(f"hub dir: {hub_dir.root}")
    if not hub_dir.exists():
        print("not built yet: run `course-hub build` (or `make lab`)")
        return 0
    hub = _hub(args)
    server = running_server(hub_dir)
    print(f"server:  {f'{server.url} (pid {server.pid})' if server else 'not running'}")
    repos = hub.repos()
    print(f"repos ({len(repos)}):")
    for r in repos:
        flags = ", ".join(f for f in ("private" if r.private else "", f"gated={r.gated}" if r.gated else "") if f)
        print(f"  {r.type:8} {r.id}{'  [' + flags + ']' if flags else ''}")
    users = hub.accounts.all()
    print(f"users and orgs ({len(users)}):")
    for u in users:
        if u["is_org"]:
            print(f"  org      {u['name']}")
        else:
            orgs = ", ".join(f"{o} ({role})" for o, role in hub.accounts.orgs_of(u["name"]))
            print(
                f"  user     {u['name']}  tokens: {hub.accounts.token_count(u['name'])}"
                + (f"  member of: {orgs}" if orgs else "")
            )
    return 0


def cmd_stop(args) -> int:
    import os
    import signal

    from .local import running_server

    server = running_server(args.hub_dir)
    if not server:
        print("no course hub is running for this hub dir")
        return 0
    os.kill(server.pid, signal.SIGTERM)
    print(f"stopped the course hub at {server.url}")
    return 0


def cmd_build(args) -> int:
    from course_content.build import build  # the one import of course_content: torch, transformers, datasets

    from .xet.service import convert_hub

    build(args.hub_dir, force=args.force)
    convert_hub(args.hub_dir)  # the course's files in Xet from the first download (docs/architecture.md, Xet)
    return 0


def cmd_publish(args) -> int:
    import os

    from .publish import PublishError, publish
    from .settings import course_org

    token = args.token or os.environ.get("HF_TOKEN")
    if not token:
        print("course-hub publish: give a write token with --token (or HF_TOKEN)", file=sys.stderr)
        return 2
    try:
        publish(args.hub_dir, args.endpoint, token, args.org or course_org(), gated=args.gated, upstream=args.upstream)
    except PublishError as e:
        print(f"course-hub publish: {e}", file=sys.stderr)
        return 1
    return 0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="course-hub", description=__doc__)
    hub_dir_help = "where the hub keeps its repos (default: $COURSE_HUB_DIR or data/hub/)"
    p.add_argument("--hub-dir", type=Path, default=None, help=hub_dir_help)  # before the command...
    common = argparse.ArgumentParser(add_help=False)
    # ...or after it (SUPPRESS: a subcommand without it keeps the value given before the command)
    common.add_argument("--hub-dir", type=Path, default=argparse.SUPPRESS, help=hub_dir_help)
    sub = p.add_subparsers(dest="command", required=True)

    s = sub.add_parser("serve", parents=[common], help="serve the hub over HTTP until stopped")
    s.add_argument("--host", default=None, help="address to bind (default: loopback only; the LAN with --classroom)")
    s.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT}; 0 picks a free one)")
    s.add_argument(
        "--classroom",
        action="store_true",
        help="serve the LAN (0.0.0.0) and refuse every request without a valid token",
    )
    s.add_argument(
        "--run-spaces",
        default=None,
        metavar="OWNER,...",
        help="run only the Spaces of these users/orgs ('*': all; default: all, but only course and "
        "instructor with --classroom)",
    )
    s.add_argument(
        "--max-spaces",
        type=int,
        default=None,
        metavar="N",
        help="at most N Spaces run at once, the least recently used sleep (default: 2; with --classroom, from the "
        "machine's memory; $COURSE_HUB_MAX_SPACES)",
    )
    s.add_argument(
        "--root-path",
        default=None,
        help="the website's links start with this path (behind a proxy, e.g. /user/NAME/proxy/8765)",
    )
    s.add_argument(
        "--like-huggingface-co",
        action="store_true",
        help="answer as huggingface.co does where the course hub differs: no inference or course-only routes, "
        "its Space stages and error headers (COURSE_HUB_FLAVOUR=huggingface.co; make test-online's stand-in)",
    )
    s.set_defaults(func=cmd_serve)

    s = sub.add_parser("classroom", help="learner accounts and token sheet; who asked for access, who pushed")
    csub = s.add_subparsers(dest="classroom_command", required=True)
    c = csub.add_parser("roster", parents=[common], help="create learner accounts and print a token sheet")
    c.add_argument("count", type=int, nargs="?", default=0, help="number of learners (learner01, learner02, ...)")
    c.add_argument("--names", type=Path, default=None, help="a file with one learner name per line instead")
    c.add_argument("--url", default=None, help="the hub URL learners use (default: http://LAN-ADDRESS:PORT)")
    c.add_argument("--port", type=int, default=DEFAULT_PORT)
    c.set_defaults(func=cmd_classroom)
    c = csub.add_parser("report", parents=[common], help="access requests and pushes by the roster's learners")
    c.set_defaults(func=cmd_classroom)

    s = sub.add_parser("build", parents=[common], help="build the course's models, datasets and Space")
    s.add_argument("--force", action="store_true", help="rebuild even if the hub is already built")
    s.set_defaults(func=cmd_build)

    s = sub.add_parser(
        "publish",
        parents=[common],
        help="push the built course repos to a Hub you control (huggingface.co or another course hub)",
    )
    s.add_argument("--endpoint", required=True, help="the Hub's URL, e.g. https://huggingface.co")
    s.add_argument("--token", default=None, help="a write token of an admin of the org (default: $HF_TOKEN)")
    s.add_argument(
        "--org",
        default=None,
        help="the course's organisation (default: pyproject.toml's [tool.hf-hands-on] org, 'hf-hands-on')",
    )
    s.add_argument(
        "--gated",
        choices=("auto", "manual"),
        default="auto",
        help="the gate of the gated repo there (default auto: learners are admitted when they ask)",
    )
    s.add_argument(
        "--upstream",
        action="store_true",
        help="also push the upstream models under their own ids (only for a stand-in of huggingface.co)",
    )
    s.set_defaults(func=cmd_publish)

    s = sub.add_parser("token", help="manage access tokens")
    tsub = s.add_subparsers(dest="token_command", required=True)
    t = tsub.add_parser("create", parents=[common], help="create USER if needed and print a new token")
    t.add_argument("user")
    t.add_argument("--role", choices=("read", "write"), default="read")
    t.add_argument("--name", default=None, help="a display name for the token")
    t.set_defaults(func=cmd_token)

    s = sub.add_parser("access", parents=[common], help="grant or revoke access to a gated repo")
    s.add_argument("action", choices=("grant", "revoke"))
    s.add_argument("repo", help="repo id, e.g. hf-hands-on/gated-sentiment")
    s.add_argument("user")
    s.add_argument("--repo-type", choices=REPO_TYPES, default="model")
    s.set_defaults(func=cmd_access)

    s = sub.add_parser("org", parents=[common], help="add a user to an organisation")
    s.add_argument("org")
    s.add_argument("user")
    s.add_argument("--role", choices=("read", "write", "admin"), default="write")
    s.set_defaults(func=cmd_org)

    s = sub.add_parser("stop", parents=[common], help="stop the server of this hub dir")
    s.set_defaults(func=cmd_stop)

    s = sub.add_parser("status", parents=[common], help="show the hub dir, repos, users and the server")
    s.set_defaults(func=cmd_status)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    args.hub_dir = (args.hub_dir or default_hub_dir()).resolve()
    try:
        return args.func(args)
    except (ValueError, KeyError) as e:
        print(f"course-hub: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
