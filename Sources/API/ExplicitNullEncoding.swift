// swift-openapi-generator encodes a nil optional by leaving its key out (synthesized
// `encodeIfPresent`), even where the schema lists the property as required and
// nullable (apple/swift-openapi-generator#934). openapi.yaml promises these keys, with
// `null` when there is no value, so the response types encode every key themselves.
//
// When openapi.yaml adds a property to one of these schemas, add it here too:
// APITests ("every property of … is encoded") counts keys against the generated
// properties and fails until you do.

extension Components.Schemas.Redpack {
    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(object, forKey: .object)
        try container.encode(kind, forKey: .kind)
        try container.encode(status, forKey: .status)
        try container.encode(mode, forKey: .mode)
        try container.encode(merchant, forKey: .merchant)
        try container.encode(mchId, forKey: .mchId)
        try container.encode(billno, forKey: .billno)
        try container.encode(appid, forKey: .appid)
        try container.encode(openid, forKey: .openid)
        try container.encode(amountFen, forKey: .amountFen)
        try container.encode(totalNum, forKey: .totalNum)
        try container.encode(wishing, forKey: .wishing)
        try container.encode(actName, forKey: .actName)
        try container.encode(remark, forKey: .remark)
        try container.encode(sendName, forKey: .sendName)
        try container.encode(sceneId, forKey: .sceneId)
        try container.encode(metadata, forKey: .metadata)
        try container.encode(createdAt, forKey: .createdAt)
        try container.encode(updatedAt, forKey: .updatedAt)
        try container.encode(sentAt, forKey: .sentAt)
        try container.encode(finalAt, forKey: .finalAt)
        try container.encode(sendListid, forKey: .sendListid)
        try container.encode(refundAmountFen, forKey: .refundAmountFen)
        try container.encode(error, forKey: .error)
        try container.encode(receivers, forKey: .receivers)
    }
}

extension Components.Schemas.Transfer {
    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(object, forKey: .object)
        try container.encode(status, forKey: .status)
        try container.encode(mode, forKey: .mode)
        try container.encode(merchant, forKey: .merchant)
        try container.encode(mchId, forKey: .mchId)
        try container.encode(partnerTradeNo, forKey: .partnerTradeNo)
        try container.encode(appid, forKey: .appid)
        try container.encode(openid, forKey: .openid)
        try container.encode(amountFen, forKey: .amountFen)
        try container.encode(description, forKey: .description)
        try container.encode(checkName, forKey: .checkName)
        try container.encode(metadata, forKey: .metadata)
        try container.encode(createdAt, forKey: .createdAt)
        try container.encode(updatedAt, forKey: .updatedAt)
        try container.encode(sentAt, forKey: .sentAt)
        try container.encode(finalAt, forKey: .finalAt)
        try container.encode(paymentNo, forKey: .paymentNo)
        try container.encode(error, forKey: .error)
    }
}

extension Components.Schemas.RedpackList {
    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(data, forKey: .data)
        try container.encode(hasMore, forKey: .hasMore)
        try container.encode(nextCursor, forKey: .nextCursor)
    }
}

extension Components.Schemas.Usage {
    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(day, forKey: .day)
        try container.encode(budgetFen, forKey: .budgetFen)
        try container.encode(spentFen, forKey: .spentFen)
        try container.encode(remainingFen, forKey: .remainingFen)
        try container.encode(payouts, forKey: .payouts)
        try container.encode(byStatus, forKey: .byStatus)
    }
}

extension Components.Schemas.Webhook {
    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(object, forKey: .object)
        try container.encode(url, forKey: .url)
        try container.encode(mode, forKey: .mode)
        try container.encode(events, forKey: .events)
        try container.encode(description, forKey: .description)
        try container.encode(enabled, forKey: .enabled)
        try container.encode(disabledAt, forKey: .disabledAt)
        try container.encode(disabledReason, forKey: .disabledReason)
        try container.encode(consecutiveFailures, forKey: .consecutiveFailures)
        try container.encode(createdAt, forKey: .createdAt)
    }
}

extension Components.Schemas.Campaign {
    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(object, forKey: .object)
        try container.encode(mode, forKey: .mode)
        try container.encode(name, forKey: .name)
        try container.encode(appid, forKey: .appid)
        try container.encode(actName, forKey: .actName)
        try container.encode(wishing, forKey: .wishing)
        try container.encode(remark, forKey: .remark)
        try container.encode(sendName, forKey: .sendName)
        try container.encode(sceneId, forKey: .sceneId)
        try container.encode(amountMinFen, forKey: .amountMinFen)
        try container.encode(amountMaxFen, forKey: .amountMaxFen)
        try container.encode(budgetFen, forKey: .budgetFen)
        try container.encode(budgetLeftFen, forKey: .budgetLeftFen)
        try container.encode(perOpenidCap, forKey: .perOpenidCap)
        try container.encode(startsAt, forKey: .startsAt)
        try container.encode(endsAt, forKey: .endsAt)
        // Present only when the campaign has one (openapi.yaml: not a required key).
        try container.encodeIfPresent(rule, forKey: .rule)
        try container.encode(budgetLowPercent, forKey: .budgetLowPercent)
        try container.encode(status, forKey: .status)
        try container.encode(endedReason, forKey: .endedReason)
        try container.encode(createdAt, forKey: .createdAt)
        try container.encode(updatedAt, forKey: .updatedAt)
    }
}

extension Components.Schemas.CampaignEventAnswer {
    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(eventId, forKey: .eventId)
        try container.encode(sent, forKey: .sent)
        try container.encode(reason, forKey: .reason)
        try container.encode(detail, forKey: .detail)
        // Present only when a packet was sent (openapi.yaml: not a required key).
        try container.encodeIfPresent(redpack, forKey: .redpack)
    }
}
