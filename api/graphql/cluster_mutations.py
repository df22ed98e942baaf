"""The incident commander's decision on a complaint cluster: accept (opening the incident it
proposes, with its complaints and orders linked) or dismiss, with a reason."""

from __future__ import annotations

import strawberry

from api.graphql.clusters import ClusterResult, changed
from api.graphql.context import CommandInput, Info
from api.graphql.outcomes import EntityCommands, call
from application.app import CareLedger


@strawberry.input
class ClusterInput(CommandInput):
    detection_id: strawberry.ID


@strawberry.input
class DismissClusterInput(ClusterInput):
    reason: str = strawberry.field(
        description="A code for why (letters, digits and _ . : / -, no spaces), e.g."
        " false_positive; words are refused: a cluster is no customer's, nothing would seal"
        " them"
    )


CLUSTERS = EntityCommands("detection", changed)


@strawberry.type
class ClusterMutations:
    @strawberry.mutation(description="Open the incident the cluster proposes, with its links")
    async def accept_cluster(self, info: Info, input: ClusterInput) -> ClusterResult:
        return await CLUSTERS.run(info, input, call(CareLedger.accept_cluster))

    @strawberry.mutation(description="Decide the cluster is no incident, and say why")
    async def dismiss_cluster(self, info: Info, input: DismissClusterInput) -> ClusterResult:
        return await CLUSTERS.run(info, input, call(CareLedger.dismiss_cluster, input.reason))
