"""Return applications 接返申请, the one-stop case 一企一策 and co-signed permits (DESIGN §1 rows 2, 4)."""
