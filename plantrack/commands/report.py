"""``plantrack report``: render the briefs again from the warehouse."""

from __future__ import annotations

from pathlib import Path

from plantrack.cli import EXIT_ERRORS, EXIT_OK, CliError, load_catalog, parse_quarter_arg, progress

ORDER = 50


def cmd_report(args) -> int:
    from plantrack import progress as prog
    from plantrack import report
    from plantrack.fonts import FontMissing
    from plantrack.settings import load_settings

    settings = load_settings()
    quarter = parse_quarter_arg(args.quarter)
    catalog = load_catalog(settings, quarter)
    out_dir = Path(args.out) if args.out else settings.quarter_out(quarter.code)
    try:
        con = prog.open_warehouse(settings.warehouse_path)
        try:
            prog.require_quarter(con, quarter)
            paths = _render(con, catalog, quarter, out_dir, settings, args.unit)
        finally:
            con.close()
    except prog.NoProgressData as exc:
        raise CliError(str(exc)) from exc
    except FontMissing as exc:
        raise CliError(str(exc)) from exc
    except report.RenderError as exc:
        raise CliError(f"简报生成时出现问题，未采用该 PDF：\n{exc}", code=EXIT_ERRORS) from exc
    except report.BriefsFailed as exc:  # the others were made: list them, then say which failed
        for path in exc.rendered.values():
            print(path)
        failed = "\n".join(f"  {scope}: {why}" for scope, why in exc.failed.items())
        raise CliError(f"以下简报未能生成，其余已生成：\n{failed}", code=EXIT_ERRORS) from exc
    for path in paths.values():
        print(path)
    return EXIT_OK


def _render(con, catalog, quarter, out_dir: Path, settings, unit: str | None) -> dict[str, Path]:
    from plantrack import progress as prog
    from plantrack import report

    if unit:
        code = prog.resolve_unit(con, unit, quarter.year)["unit"]
        progress(f"生成{quarter.label}简报：{unit} → {out_dir}")
        return report.render_unit_briefs(
            con, catalog, quarter, out_dir, catalog.issuer, settings.font_cache, units=[code]
        )
    units = prog.units_with_targets(con, quarter.year)
    progress(
        f"生成{quarter.label}简报：{catalog.whole}及{len(units)}个单位 → {out_dir}（首次运行需准备字体，约需半分钟）"
    )
    return report.render_quarter_briefs(con, catalog, quarter, out_dir, catalog.issuer, settings.font_cache)


def register(sub) -> None:
    p = sub.add_parser(
        "report",
        help="根据数据仓库重新生成简报（全市及各单位，PDF）",
        description="根据数据仓库（只读）重新生成一个季度的简报：全市简报及每个有目标任务的"
        "单位的简报，或用 --unit 只生成一个单位的简报；列出生成的文件。",
    )
    p.add_argument("--quarter", required=True, help="报告期，格式 YYYYQn，按该年度的计划核对")
    p.add_argument("--unit", help="只生成一个填报单位的简报（代码或名称）")
    p.add_argument("--out", help="输出文件夹（默认 $PLANTRACK_HOME/out/季度）")
    p.set_defaults(func=cmd_report)
