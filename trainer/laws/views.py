from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_login import login_required

from trainer import db
from trainer.laws import services
from trainer.laws.models import Law
from trainer.laws.parser import split_paragraphs
from trainer.study.services import module_for_article

bp = Blueprint("laws", __name__, url_prefix="/laws")


@bp.app_template_global()
def article_lines(article):
    return split_paragraphs(article.text)


@bp.route("/")
@login_required
def index():
    laws = services.current_laws(db.session)
    return render_template("laws/index.html", laws=laws, counts=services.article_counts(db.session))


@bp.route("/<short_title>/")
@login_required
def show_law(short_title: str):
    law = services.current_law(db.session, short_title) or abort(404)
    return render_template("laws/law.html", law=law)


@bp.route("/<short_title>/<int:number>")
@login_required
def show_article(short_title: str, number: int):
    """Stable URL of an article of the current version; opens in its module at the article's anchor."""
    article = services.get_article(db.session, short_title, number) or abort(404)
    module = module_for_article(db.session, article)
    if module is not None and request.args.get("standalone") is None:
        return redirect(url_for("study.module", course_key=module.course.key, ordinal=module.ordinal,
                                _anchor=article.anchor))
    return render_template("laws/article.html", article=article, law=article.law)


@bp.route("/search")
@login_required
def search():
    q = request.args.get("q", "").strip()
    law_id = request.args.get("law", type=int)
    hits = services.search_articles(db.session, q, law_id=law_id) if q else []
    return render_template("laws/search.html", q=q, hits=hits, law_id=law_id,
                           laws=services.current_laws(db.session))


@bp.route("/versions/<int:law_id>")
@login_required
def version(law_id: int):
    law = db.session.get(Law, law_id) or abort(404)
    return render_template("laws/law.html", law=law)
