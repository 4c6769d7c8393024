"""Review board (重大执法决定法制审核): owns review requests, materials, reviewer assignment
with recusal, findings per review point, opinions, disagreement and the review clock.
Implements 沁源《法制审核办法》第三至十一条, 安泽《法制审核办法》第五至十六条, 陵川 附件3,
周村 第四十九至五十七条."""
