"""ztconsole: a terminal console for running Zero Trust networking on Microsoft Entra ID and Azure."""

__version__ = "0.1.0"
