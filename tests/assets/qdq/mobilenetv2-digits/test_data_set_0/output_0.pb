

BlogitsJ(ם|ְ?dVְנTֶ@B$1ְ³ֹLְפד°ְ
W°ְתu.ְ(§ְLkְ