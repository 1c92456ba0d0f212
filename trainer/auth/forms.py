from trainer.forms import Form as FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, HiddenField, PasswordField, SelectField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, Optional, Regexp


class LoginForm(FlaskForm):
    login = StringField("工号", validators=[DataRequired("请输入工号。"), Length(max=32)])
    password = PasswordField("密码", validators=[DataRequired("请输入密码。"), Length(max=128)])
    next = HiddenField()


class ChangePasswordForm(FlaskForm):
    current = PasswordField("当前密码", validators=[DataRequired("请输入当前密码。")])
    new = PasswordField("新密码", validators=[DataRequired("请输入新密码。"), Length(max=128)])
    confirm = PasswordField("再次输入新密码", validators=[EqualTo("new", "两次输入的新密码不一致。")])


class UserForm(FlaskForm):
    login = StringField("工号", validators=[DataRequired("请输入工号。"), Length(max=32)])
    name = StringField("姓名", validators=[DataRequired("请输入姓名。"), Length(max=50)])
    unit_id = SelectField("单位", coerce=int)
    role = SelectField("角色", choices=[("staff", "学员"), ("supervisor", "主管"), ("admin", "管理员")])
    supervised = SelectMultipleField("主管的单位（仅主管）", coerce=int)
    phone = StringField("手机号", validators=[Optional(), Regexp(r"^1\d{10}$", message="手机号应为 11 位数字。")])
    active = BooleanField("启用", default=True)
    password = PasswordField("初始密码（新建时必填）", validators=[Optional(), Length(max=128)])


class ResetPasswordForm(FlaskForm):
    password = PasswordField("新密码", validators=[DataRequired("请输入新密码。"), Length(max=128)])


class UnitForm(FlaskForm):
    name = StringField("单位名称", validators=[DataRequired("请输入单位名称。"), Length(max=64)])
    kind = SelectField("类型", choices=[(k, k) for k in ("局", "大队", "中队", "股室", "所")])
    parent_id = SelectField("上级单位", coerce=int)


class RosterUploadForm(FlaskForm):
    file = FileField("花名册（.xlsx）", validators=[FileRequired("请选择要上传的文件。")])


class ConfirmForm(FlaskForm):
    token = HiddenField()
    password = PasswordField("新账号的初始密码", validators=[DataRequired("请设置新账号的初始密码。"),
                                                        Length(max=128)])
