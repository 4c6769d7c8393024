"""Archive vault (档案存储): owns the stored objects — audio/video and documents — written once
under the retention class the agency's rule set gives them (000《全过程记录办法》第三十六条: AV
at least 2 years, permanently in the four situations listed; case files per the archives term,
第三十二条), legal holds, disposal after expiry approved by two people, the fixity audit and the
off-site replica (第三十二条第二款 异地备份), and each closed case's archive package (BagIt, with
its 四性检测 report) stored before the record keeper is told the case is archived (第三十二条).
It also keeps the record keeper's signed checkpoints and the signed tree heads of each agency's
Merkle log of them, under the checkpoint key it pinned (usecases.anchors), so an insider with
rights on the record keeper's database cannot rewrite or cut short a case unseen.
Nothing stored is overwritten, edited or destroyed within its retention (第三十五条;
002《全过程记录办法》第二十条)."""
