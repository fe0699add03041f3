# 定时任务（handlers/sweep.py）
sweep-hall-reminder = 订单 #{ $order } 仍在等待跑腿员
sweep-late-reminder = 订单 #{ $order } 应在 { $time } 前送达，请尽快送达；如遇问题请报告异常。
