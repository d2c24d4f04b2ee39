"""provcheck plugin: registers searched by a person (INTERPOL, the Carabinieri TPC, Artive), with
the request each asks for prepared.

None of these registers offers provcheck a way in: a person searches them (with an account, an
app, or through the police) or sends them a request. A check of one of them cannot conclude
anything by itself; its outcome is a `referral` that carries exactly what the register asks
for, filled in from the object's description -- the form's fields, the photographs to attach,
where to send it and the fee -- ready to print or send. The person's answer is recorded later in
the case (`provcheck case record CASE --referral NAME --result "..."`), and only then does the
register count as searched.

What each register asks for, and where, is as the organisations publish it; it changes, and a
person sending a request should check it on the register's own site first (each request says
so).
"""

from provcheck_referrals import registers as _registers
from provcheck_referrals.registers import *  # noqa: F403 -- the registers, whole

__all__ = _registers.__all__
