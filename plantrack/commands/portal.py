"""``plantrack portal``: the stewards' web portal, and its accounts.

    plantrack portal [--host 127.0.0.1] [--port 8700] [--quarter Q]
    plantrack portal user add --unit UNIT --name NAME [--admin] [--login LOGIN]
    plantrack portal user list [--json]
    plantrack portal user disable LOGIN
    plantrack portal user link LOGIN

The server listens on 127.0.0.1 by default: the bureau's reverse proxy (HTTPS)
stands in front of it (docs/portal.md).
"""

from __future__ import annotations

import os
import re
from datetime import UTC, datetime

from plantrack.cli import EXIT_OK, CliError, load_catalog, parse_quarter_arg, print_json, progress
from plantrack.settings import load_settings

ORDER = 45
DEFAULT_PORT = 8700
BASE_URL_VARIABLE = "PLANTRACK_PORTAL_URL"


def base_url(args) -> str:
    url = args.base_url or os.environ.get(BASE_URL_VARIABLE) or f"http://127.0.0.1:{DEFAULT_PORT}"
    return url.rstrip("/")


def portal_db(settings):
    from plantrack.portal.app import portal_db_path
    from plantrack.portal.db import PortalDB

    return PortalDB(portal_db_path(settings))


def cmd_portal(args) -> int:
    if getattr(args, "user_func", None):
        return args.user_func(args)
    import uvicorn

    from plantrack.portal.app import create_app
    from plantrack.portal.quarters import build_calendar

    settings = load_settings()
    quarter = parse_quarter_arg(args.quarter) if args.quarter else None
    now = datetime.now(UTC)
    calendar = build_calendar(settings.schedule, now, quarter)
    try:  # the plan of the quarter open for submission; none ready: say why, serve nothing
        catalog = load_catalog(settings, calendar.main(now).quarter)
    except CliError as exc:
        open_quarter = calendar.main(now).quarter.code
        raise CliError(f"{exc}（报送期内的季度是 {open_quarter}；可用 --quarter 指定）") from exc
    if args.max_upload_mb < 1:
        raise CliError("--max-upload-mb 至少为 1")
    main = calendar.main(now)
    progress(f"门户准备中：预热校验程序（{main.quarter.label}）…")
    app, portal = create_app(settings, catalog, calendar, max_upload_bytes=args.max_upload_mb * 2**20)
    progress(
        f"门户已就绪：http://{args.host}:{args.port}/  报送期："
        + "、".join(w.quarter.label for w in calendar.open_windows(now))
        + f"  数据库：{portal.db.path}"
    )
    uvicorn.run(
        app,
        host=args.host,
        port=args.port,
        proxy_headers=True,
        forwarded_allow_ips=args.forwarded_allow_ips,
        log_level="info",
        server_header=False,
        timeout_graceful_shutdown=10,
    )
    return EXIT_OK


# -- accounts ----------------------------------------------------------------------------


def _unit_code(catalog, text: str) -> str:
    from plantrack.reader import match_unit

    code = match_unit(text, catalog.units)
    if code is None:
        names = "、".join(f"{u.code}（{u.name}）" for u in catalog.units.values())
        raise CliError(f"未知的填报单位“{text}”，可选：{names}")
    return code


def _free_login(db, unit: str) -> str:
    taken = db.logins_like(unit)
    if unit not in taken:
        return unit
    n = 2
    while f"{unit}{n}" in taken:
        n += 1
    return f"{unit}{n}"


def _print_link(args, db, account) -> None:
    token = db.issue_token(account.id, days=args.days)
    progress(f"{account.name}（{account.unit}）的登录名：{account.login}")
    progress(f"一次性登录链接（{args.days:g}天内有效，只能使用一次；打开后设置密码）：")
    print(f"{base_url(args)}/welcome/{token}")


def cmd_user_add(args) -> int:
    settings = load_settings()
    catalog = load_catalog(settings)
    unit = _unit_code(catalog, args.unit)
    name = args.name.strip()
    if not name or len(name) > 40:
        raise CliError("--name 应为 1 到 40 个字符")
    db = portal_db(settings)
    login = args.login or _free_login(db, unit)
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]{1,39}", login):
        raise CliError(f"登录名“{login}”不可用：请用 2 到 40 个英文字母、数字或 . _ -")
    from plantrack.portal.db import AccountError

    try:
        account = db.add_account(login, name, unit, is_admin=args.admin)
    except AccountError as exc:
        raise CliError(str(exc)) from exc
    db.audit(
        "account_added",
        login="operator",
        target=login,
        detail=f"{name}，{unit}{'，管理员' if args.admin else ''}",
    )
    _print_link(args, db, account)
    return EXIT_OK


def cmd_user_link(args) -> int:
    settings = load_settings()
    db = portal_db(settings)
    account = db.account_by_login(args.login)
    if account is None:
        raise CliError(f"没有登录名为“{args.login}”的账号")
    if not account.active:
        raise CliError(f"账号“{args.login}”已停用")
    db.audit("link_issued", login="operator", target=account.login)
    _print_link(args, db, account)
    return EXIT_OK


def cmd_user_list(args) -> int:
    settings = load_settings()
    accounts = portal_db(settings).accounts()
    rows = [
        {
            "login": a.login,
            "name": a.name,
            "unit": a.unit,
            "admin": a.is_admin,
            "state": "disabled" if a.disabled_at else ("active" if a.password_hash else "invited"),
            "created_at": a.created_at.isoformat(),
            "last_login_at": a.last_login_at.isoformat() if a.last_login_at else None,
        }
        for a in accounts
    ]
    if args.json:
        print_json(rows)
        return EXIT_OK
    if not rows:
        progress("还没有账号：plantrack portal user add --unit UNIT --name NAME")
        return EXIT_OK
    label = {"disabled": "已停用", "active": "正常", "invited": "未设置密码"}
    for r in rows:
        last = r["last_login_at"][:16].replace("T", " ") + " UTC" if r["last_login_at"] else "从未登录"
        print(
            f"{r['login']:<16} {r['unit']:<12} {label[r['state']]:<6} "
            f"{'管理员 ' if r['admin'] else ''}{r['name']}  最近登录：{last}"
        )
    return EXIT_OK


def cmd_user_disable(args) -> int:
    settings = load_settings()
    db = portal_db(settings)
    account = db.account_by_login(args.login)
    if account is None:
        raise CliError(f"没有登录名为“{args.login}”的账号")
    db.disable(account.id)
    db.audit("account_disabled", login="operator", target=account.login)
    progress(f"已停用账号 {account.login}（{account.name}）：已登录的会话和未使用的链接同时失效")
    return EXIT_OK


def register(sub) -> None:
    p = sub.add_parser(
        "portal",
        help="填报门户：各单位在浏览器中下载模板、上传校验、报送",
        description="启动填报门户（网页，简体中文）：填报人员登录后下载本单位模板、上传填报表并立即看到"
        "与季度流程相同的校验结果、下载问题标注工作簿、报送到本季度收件箱；主管部门的管理员"
        "查看各单位报送情况并发送提醒。默认只监听 127.0.0.1，由局内反向代理提供 HTTPS"
        "（见 docs/portal.md）。账号用 plantrack portal user 管理。",
    )
    p.add_argument("--host", default="127.0.0.1", help="监听地址（默认 127.0.0.1）")
    p.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"监听端口（默认 {DEFAULT_PORT}）")
    p.add_argument(
        "--quarter",
        help="开放报送的季度，如 2021Q2（默认：下次定时季度流程处理的季度；"
        "其上一季度在其季度流程运行前仍可报送）",
    )
    p.add_argument("--max-upload-mb", type=int, default=20, help="上传文件大小上限，MB（默认 20）")
    p.add_argument(
        "--forwarded-allow-ips",
        default="127.0.0.1",
        help="信任其 X-Forwarded-For/Proto 头的反向代理地址（默认 127.0.0.1）",
    )
    p.set_defaults(func=cmd_portal, user_func=None)

    users = p.add_subparsers(dest="portal_command", metavar="user")
    u = users.add_parser("user", help="管理门户账号", description="管理门户账号：add、list、disable、link。")
    actions = u.add_subparsers(dest="user_command", metavar="ACTION")
    actions.required = True

    add = actions.add_parser(
        "add",
        help="新建账号并打印一次性登录链接",
        description="为一个填报单位的人员新建账号，打印一次性登录链接（默认3天内有效，首次打开时设置密码）。",
    )
    add.add_argument("--unit", required=True, help="填报单位代码或名称，如 huancui 或 环翠区")
    add.add_argument("--name", required=True, help="姓名，如 张丽")
    add.add_argument("--admin", action="store_true", help="主管部门的管理员：可查看全部单位的报送情况")
    add.add_argument("--login", help="登录名（默认：单位代码，如 huancui、huancui2）")
    _link_options(add)
    add.set_defaults(user_func=cmd_user_add)

    ls = actions.add_parser("list", help="列出全部账号", description="列出全部账号及其状态、最近登录时间。")
    ls.add_argument("--json", action="store_true", help="以 JSON 输出")
    ls.set_defaults(user_func=cmd_user_list)

    off = actions.add_parser(
        "disable", help="停用账号", description="停用账号：不能再登录，已登录的会话立即失效。"
    )
    off.add_argument("login", metavar="LOGIN", help="登录名")
    off.set_defaults(user_func=cmd_user_disable)

    link = actions.add_parser(
        "link",
        help="重新生成一次性登录链接（忘记密码时）",
        description="为账号生成新的一次性登录链接（旧链接作废）；打开后重新设置密码。",
    )
    link.add_argument("login", metavar="LOGIN", help="登录名")
    _link_options(link)
    link.set_defaults(user_func=cmd_user_link)


def _link_options(p) -> None:
    p.add_argument("--days", type=float, default=3, help="链接有效天数（默认 3）")
    p.add_argument(
        "--base-url",
        help=f"门户对外地址，用于生成链接（默认环境变量 {BASE_URL_VARIABLE}，"
        f"否则 http://127.0.0.1:{DEFAULT_PORT}）",
    )
