

BlogitsJ(–KHљЃгрњдѓ`Azэ@НYСЅmшљњЅMЅ∆∞:ЊsO$Ѕпkђј