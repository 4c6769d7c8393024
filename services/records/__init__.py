"""Record keeper (记录保管, 执法全过程记录): owns cases, their stages and records, the append-only
hash chain per case with signed checkpoints, each agency's append-only Merkle log of those
checkpoints with its signed tree heads (kept write-once by the vault, which verify_case checks
a case against), AV record metadata, findings and the access log.
Implements 沁源 全过程记录办法 第三至三十七条, 安泽 第三至二十条, 周村 第二十二至四十五条."""
