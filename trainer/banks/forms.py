from trainer.forms import Form as FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import HiddenField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from trainer.banks.models import TYPE_LABELS


class QuestionEditForm(FlaskForm):
    type = SelectField("题型", choices=list(TYPE_LABELS.items()))
    stem = TextAreaField("题干", validators=[DataRequired("请填写题干。"), Length(max=2000)])
    options = TextAreaField("选项（每行一个，不写 A. 前缀）", validators=[Length(max=4000)])
    answer = TextAreaField("答案", validators=[Length(max=5000)],
                           description="单选：B；多选：ABD；判断：true 或 false；填空：每空用；分隔，同一空的多种写法用 / 分隔；"
                                       "案例分析：参考答案")
    scoring_points = TextAreaField("评分要点（案例分析，每行“要点|分值”）", validators=[Length(max=4000)])
    explanation = TextAreaField("解析", validators=[DataRequired("请填写解析。"), Length(max=4000)])
    citations = TextAreaField("出处（每行一条，如：行政处罚法 第五十一条；行政处罚法 42 第1款；宪法 序言）",
                              validators=[Length(max=1000)])
    difficulty = SelectField("难度", choices=[(1, "1 简单"), (2, "2 中等"), (3, "3 困难")], coerce=int, default=2)
    tags = StringField("知识点（用逗号分隔）", validators=[Length(max=200)])
    references = TextAreaField("参考文件（每行一个，可选）", validators=[Length(max=1000)])


class ReviewForm(FlaskForm):
    action = HiddenField(validators=[DataRequired()])
    comment = TextAreaField("意见", validators=[Optional(), Length(max=2000)])


class BankUploadForm(FlaskForm):
    file = FileField("题库文件（.xlsx / .docx / .yaml / Moodle .xml）", validators=[FileRequired("请选择要上传的文件。")])
    bank_slug = StringField("导入到题库（标识，如 xingzheng-chufa；不存在则新建）",
                            validators=[DataRequired("请填写题库标识。"), Length(max=64)])


class GenerateForm(FlaskForm):
    law = SelectField("法律")
    limit = IntegerField("最多生成题数", default=60, validators=[NumberRange(1, 500, "应在 1–500 之间。")])


class ConfirmImportForm(FlaskForm):
    token = HiddenField()
    filename = HiddenField()
    bank_slug = HiddenField()
    title = StringField("新题库名称（导入到已有题库时不用填）", validators=[Optional(), Length(max=128)])
