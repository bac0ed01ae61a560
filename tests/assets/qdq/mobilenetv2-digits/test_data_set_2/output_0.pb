

BlogitsJ(lËÀwÇTÀî•ÀbâÀ¸aAg4ÁþH1ÀWù¿([ßÀ‰!XÀ