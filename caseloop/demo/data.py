"""Demo organisation: departments, one user per role, products, and feedback that reads like the real thing."""

from __future__ import annotations

DEMO_PASSWORD = "caseloop-demo"

DEPARTMENTS = [
    ("customer_service", "客服部", "受理、登记、首次响应与回访；服务态度与服务流程类问题"),
    ("technical_support", "技术支持部", "系统故障、软件与联网问题的诊断和修复"),
    ("product", "产品研发部", "产品功能与设计类问题、功能建议"),
    ("after_sales", "售后服务部", "维修、换货、退货、配件与售后咨询"),
    ("logistics", "物流部", "配送延误、破损、丢件、安装预约"),
    ("marketing", "市场部", "舆情、媒体与促销活动相关反馈"),
    ("quality", "质量管理部", "产品质量与安全风险、质检与整改"),
]

# username, display name, role, departments
USERS = [
    ("agent", "李晓梅", "agent", ["customer_service"]),
    ("agent2", "王俊", "agent", ["customer_service"]),
    ("supervisor", "陈静", "supervisor", ["customer_service"]),
    ("specialist", "赵磊", "specialist", ["after_sales"]),
    ("tech", "孙浩", "specialist", ["technical_support"]),
    ("logistics", "周敏", "specialist", ["logistics"]),
    ("qa", "吴芳", "qa_reviewer", ["quality"]),
    ("approver", "郑强", "approver", ["after_sales", "customer_service"]),
    ("manager", "冯丽", "service_manager", []),
    ("analyst", "何伟", "analyst", []),
    ("admin", "系统管理员", "admin", []),
    ("auditor", "许诺", "auditor", []),
]

# brand, name, model, product line
PRODUCTS = [
    ("海澜", "滚筒洗衣机", "XQG100-B14", "家电"),
    ("海澜", "变频空调", "KFR-35GW", "家电"),
    ("海澜", "对开门冰箱", "BCD-521W", "家电"),
    ("海澜", "燃气热水器", "JSQ30-16", "家电"),
    ("星途", "智能手机", "X20 Pro", "手机数码"),
    ("星途", "无线耳机", "Buds 3", "手机数码"),
    ("星途", "笔记本电脑", "Book 14", "电脑办公"),
    ("星途", "智能手表", "Watch S2", "手机数码"),
    ("云联", "宽带套餐", "FIBER-500M", "通信服务"),
    ("云联", "5G 套餐", "5G-129", "通信服务"),
    ("易购", "会员服务", "PLUS-年卡", "电商服务"),
    ("易购", "移动应用", "APP-8.2", "软件"),
]

# feedback type, priority, department code, product lines it fits (empty: any), subject, content;
# {product} {days} {order} are filled in.
CASE_TEMPLATES = [
    ("product_quality", "high", "quality", ("家电",), "{product}使用时漏电",
     "家里的{product}用了{days}天，今天手碰到机身被电了一下，孩子差点也摸到。这是严重的安全问题，请马上派人来检查，"
     "不然我就投诉到12315。"),
    ("product_quality", "high", "quality", ("家电",), "{product}插头处冒烟有焦味",
     "昨晚{product}工作时插头位置冒烟，有明显焦糊味，我赶紧拔了电源。购买才{days}天，订单号{order}。要求退货并给个说法。"),
    ("product_quality", "medium", "after_sales", ("家电", "手机数码", "电脑办公"), "{product}外壳开裂",
     "收到的{product}外壳有一条裂缝，不影响使用但是很难看，希望换一个新的外壳。"),
    ("product_quality", "medium", "after_sales", ("家电",), "{product}噪音很大",
     "{product}运行时噪音特别大，晚上根本睡不着，请安排师傅上门看看是不是安装有问题。"),
    ("product_function", "medium", "product", ("手机数码", "电脑办公"), "{product}续航太短",
     "{product}充满电只能用半天，充电也很慢，和宣传的续航差距太大了。是不是电池有问题？"),
    ("product_function", "low", "product", ("软件", "手机数码"), "{product}希望增加夜间模式",
     "建议{product}的应用增加夜间模式和字体放大功能，家里老人用起来更方便。"),
    ("system_fault", "high", "technical_support", ("电商服务", "软件"), "APP无法支付，订单一直卡住",
     "从今天上午开始在APP里下单一直提示支付失败，换了微信和银行卡都不行，订单{order}一直卡在待支付。很多朋友也遇到了。"),
    ("system_fault", "medium", "technical_support", ("手机数码", "电脑办公", "通信服务"), "{product}联网后频繁掉线",
     "{product}连上家里WiFi以后经常自己断开，重启路由器也没用，已经持续{days}天了。"),
    ("privacy_security", "high", "technical_support", ("电商服务", "软件", "通信服务"), "个人信息疑似被泄露",
     "我在你们平台下单后第二天就接到推销电话，对方准确说出了我的姓名、地址和订单{order}的商品，怀疑隐私泄露，请严肃处理。"),
    ("service_attitude", "medium", "customer_service", (), "客服态度恶劣",
     "打了三次客服电话，第二次接电话的客服很不耐烦，直接挂了我的电话。我只是想问{product}的保修政策，这种态度太让人失望了。"),
    ("service_attitude", "high", "customer_service", ("家电", "手机数码", "电脑办公"), "门店店员辱骂顾客，要求道歉",
     "今天在门店退{product}，店员当着很多人的面说我是来找茬的，非常气愤！要求公开道歉，否则我会把视频发到网上。"),
    ("service_process", "medium", "customer_service", ("家电", "手机数码", "电脑办公"), "退款流程太慢",
     "订单{order}申请退款已经{days}天了，一直显示审核中，每次问客服都说再等等，请尽快处理。"),
    ("service_process", "low", "customer_service", (), "热线等待时间太长",
     "拨打客服热线排队等了二十多分钟才接通，希望增加人工坐席。"),
    ("logistics", "medium", "logistics", ("家电", "手机数码", "电脑办公"), "快递{days}天还没送到",
     "订单{order}显示已发货{days}天了，物流信息一直停在中转站没有更新，急用，请帮忙查一下。"),
    ("logistics", "medium", "logistics", ("家电", "手机数码", "电脑办公"), "收到的{product}包装破损",
     "今天签收的{product}外包装严重破损，机器侧面有凹痕，快递员不让先验货再签收。要求换货。"),
    ("logistics", "low", "logistics", ("家电",), "希望预约周末送货安装",
     "我买的{product}想改到周六上午送货并安装，工作日家里没人，麻烦协调一下。"),
    ("after_sales", "low", "after_sales", ("家电", "手机数码", "电脑办公"), "咨询{product}保修期",
     "请问{product}的保修期是多久？发票丢了还能保修吗？"),
    ("after_sales", "medium", "after_sales", ("家电", "手机数码", "电脑办公"), "{product}维修后问题依旧",
     "{product}上个月已经维修过一次，换了主板，可用了{days}天又出现同样的故障，要求换新机。"),
    ("repair_quality", "medium", "after_sales", ("家电",), "维修师傅上门后问题没解决",
     "师傅上门检修{product}，半小时就走了，说修好了，结果当天晚上又不行了，还收了上门费。"),
    ("parts", "medium", "after_sales", ("家电",), "配件一直缺货",
     "{product}的滤网配件在官网一直显示缺货，已经等了{days}天了，什么时候能到货？"),
    ("fee_dispute", "medium", "customer_service", ("通信服务",), "宽带套餐被多扣费",
     "我的{product}账单这个月多扣了89元，我从来没有办理过增值业务，要求退还并说明原因。"),
    ("fee_dispute", "high", "customer_service", ("电商服务", "通信服务"), "重复扣款三次，媒体已关注",
     "订单{order}被重复扣款三次，共计两千多元，客服一直推脱。我已经联系了本地电视台的帮忙栏目，请立即处理。"),
    ("suggestion", "low", "product", ("家电", "手机数码", "电脑办公"), "建议优化{product}说明书",
     "{product}的说明书字太小，安装步骤也不清楚，建议配上视频教程。"),
    ("consultation", "low", "customer_service", ("家电", "手机数码", "电脑办公"), "咨询以旧换新活动",
     "请问现在买{product}有没有以旧换新补贴？旧机怎么回收？"),
    ("other", "low", "customer_service", ("家电",), "表扬安装师傅",
     "上周来安装{product}的师傅非常专业，还帮我们把旧机搬下楼，特别感谢！"),
]

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾萧田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢"
GIVEN = ["伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超", "秀英",
         "霞", "平", "刚", "桂英", "晓东", "嘉怡", "子涵", "浩然", "欣怡", "梓轩"]
REGIONS = ["上海市浦东新区", "北京市朝阳区", "广东省深圳市", "浙江省杭州市", "四川省成都市", "湖北省武汉市",
           "江苏省南京市", "香港特别行政区", "台湾省台北市", "陕西省西安市"]
STREETS = ["世纪大道100号", "建国路88号", "科技园南路3号", "文三路478号", "天府大道北段1700号", "中山路25号"]

# Tails added to some texts so that emotion and length vary as they do in real feedback.
TAILS = ["", "", "", "请尽快回复。", "真的很失望！！", "麻烦了，谢谢。", "这已经是我第三次反馈了，再不解决我就去消协投诉。",
         "希望你们重视。", "急！！！"]
