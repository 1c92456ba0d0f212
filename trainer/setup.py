"""`make run`'s preparation, in one process: secret key, migrations, default law library, official texts
dropped into instance/laws/, courses, and demo data on a new database. Safe to run again: keeps all data."""
from __future__ import annotations

import sys
from pathlib import Path

from trainer.config import ensure_secret_key

INSTANCE = Path(__file__).resolve().parent.parent / "instance"


def main() -> int:
    ensure_secret_key(str(INSTANCE))
    from trainer import create_app, db
    from trainer.migrate import is_new_database, upgrade
    app = create_app()
    url = app.config["DATABASE_URL"]
    is_new = is_new_database(url)
    upgrade(url)
    with app.app_context():
        from trainer.demo import data as demo_data
        from trainer.demo.services import seed
        from trainer.laws.services import import_default, import_law
        from trainer.laws.sources import SourceError, read_file
        from trainer.study.services import sync_courses
        try:
            results = import_default(db.session)
        except SourceError as exc:
            print(exc, file=sys.stderr)
            return 1
        laws_dir = Path(app.instance_path) / "laws"
        for path in sorted(laws_dir.glob("*")) if laws_dir.is_dir() else []:
            if path.suffix.lower() in (".docx", ".txt", ".md"):
                results.append(import_law(db.session, read_file(path.name, path.read_bytes()),
                                          source=f"文件：{path.name}"))
        sync_courses(db.session)
        from trainer.banks.services import bank_files, import_files
        bank_results, issues = import_files(db.session, bank_files())
        for issue in issues:
            if issue.level == "error":
                print(f"题库错误 {issue}", file=sys.stderr)
        from trainer.banks.transfer import GENERATED_PREFIX, generate_for_law
        for short in GENERATED_PREFIX:  # practice-only questions from the text of the four course laws
            _, counts, _ = generate_for_law(db.session, short)
            bank_results[f"generated-{short}"] = counts
        added = sum(c["created"] + c["updated"] for c in bank_results.values())
        total = sum(sum(c.values()) for c in bank_results.values())
        print(f"题库：{len(bank_results)} 个，共 {total} 题" + (f"（本次新增或更新 {added} 题）" if added else "（无变化）"))
        changed = [r for r in results if r.action != "unchanged"]
        for r in changed:
            print(r.message)
        if not changed:
            print(f"法律文本库已是最新（{len(results)} 部）。")
        if is_new:
            counts = seed(db.session)
            from trainer.demo.exams import seed_exams
            exams = seed_exams(db.session)
            from trainer.demo.history import seed_history
            history = seed_history(db.session)
            from trainer.demo.exams import seed_drive
            seed_drive(db.session)
            print(f"新数据库：已创建演示单位、{counts['users_created']} 个演示账号和 {exams['exams']} 场演示考试"
                  f"（含 {exams['attempts']} 份已交答卷）；演示学习记录 {history.get('active', 0)} 人、"
                  f"{history.get('answers', 0)} 次答题。")
        db.session.commit()
    print()
    print("演示账号（密码均为 %s）：" % demo_data.DEMO_PASSWORD)
    print(f"  学员   {demo_data.DEMO_STAFF_LOGIN}（{demo_data.staff_people()[0][1]}，{demo_data.staff_people()[0][2]}）")
    for login, name, _, scope in demo_data.SUPERVISORS[:1]:
        print(f"  主管   {login}（{name}，主管{'、'.join(scope)}）")
    print(f"  管理员 {demo_data.ADMIN[0]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
