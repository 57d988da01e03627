"""Public events of the organisation service (topic grassroots.organisation.events).

One module per part of the domain; everything is re-exported here.
"""

from grassroots_contracts.organisation.communities import CommunityRegistered, CommunityRenamed

__all__ = ["CommunityRegistered", "CommunityRenamed"]
